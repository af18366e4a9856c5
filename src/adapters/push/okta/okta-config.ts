import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";

/** The Okta API scopes Verity needs: reads (user, factors, poll) and `manage` (verify, cancel). */
export const OKTA_REQUIRED_SCOPES = ["okta.users.read", "okta.users.manage"] as const;

const orgUrl = baseUrl.superRefine((url, ctx) => {
  const parsed = new URL(url);
  if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") {
    ctx.addIssue({ code: "custom", message: "must be the org URL alone, such as https://acme.okta.com (no path)" });
  }
  // The Admin Console host answers API calls differently and never appears in Okta's links.
  if (/-admin\./i.test(parsed.hostname)) {
    ctx.addIssue({ code: "custom", message: "is the Admin Console host; use the org URL without -admin (https://acme.okta.com)" });
  }
});

const sswsAuth = z.strictObject({
  kind: z.literal("ssws"),
  /** An API token (Security › API › Tokens); it acts with the roles of the admin who created it. */
  token: secretString,
});

const oauthAuth = z
  .strictObject({
    kind: z.literal("oauth"),
    /** The client id of an API Services app that uses "Public key / Private key" authentication. */
    clientId: z.string().min(1),
    /** PEM private key (RSA, or EC P-256) whose public half is registered on the app. */
    privateKey: secretString,
    /** The `kid` of that public key in Okta, sent so Okta need not try every key. */
    keyId: z.string().min(1).optional(),
    scopes: z.array(z.string().regex(/^[a-z][A-Za-z0-9.]*$/, "an Okta scope such as okta.users.read")).min(1).default([...OKTA_REQUIRED_SCOPES]),
  })
  .superRefine((auth, ctx) => {
    for (const needed of OKTA_REQUIRED_SCOPES) {
      if (!auth.scopes.includes(needed)) ctx.addIssue({ code: "custom", path: ["scopes"], message: `must include ${needed}` });
    }
    try {
      const key = createPrivateKey(auth.privateKey.reveal());
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (key.asymmetricKeyType !== "rsa" && !(key.asymmetricKeyType === "ec" && curve === "prime256v1")) {
        ctx.addIssue({ code: "custom", path: ["privateKey"], message: "must be an RSA or EC P-256 private key" });
      }
    } catch {
      ctx.addIssue({ code: "custom", path: ["privateKey"], message: "must be an unencrypted PEM private key" });
    }
  });

/**
 * A `providers.<name>` block of kind `okta`: Okta Verify push (with number challenge) and
 * Okta Verify / Google Authenticator passcodes, over the Okta Factors API.
 *
 * @example
 * ```yaml
 * providers:
 *   okta:
 *     kind: okta
 *     orgUrl: https://acme.okta.com
 *     auth:
 *       kind: oauth
 *       clientId: 0oa1b2c3d4e5f6g7h8i9
 *       privateKey: ${file:/etc/verity/okta-service-app.pem}
 *       keyId: verity-2026
 * ```
 */
export const oktaConfigSchema = z.strictObject({
  kind: z.literal("okta"),
  orgUrl,
  auth: z.discriminatedUnion("kind", [sswsAuth, oauthAuth]),
  /** Ask for Okta Verify's number challenge; a push that comes back without one is refused. */
  numberChallenge: z.boolean().default(true),
  timeoutMs: timeoutMs.default(10_000),
});

export type OktaConfig = z.output<typeof oktaConfigSchema>;
export type OktaAuthConfig = OktaConfig["auth"];

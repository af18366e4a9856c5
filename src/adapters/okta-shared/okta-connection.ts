import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { baseUrl, secretString } from "../../config/fields.js";

/** An Okta org URL: the org alone (`https://acme.okta.com`), never the Admin Console host. */
export const oktaOrgUrl = baseUrl.superRefine((url, ctx) => {
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

/**
 * The `auth` block of an Okta integration: an API token (`ssws`) or an API Services app with a
 * `private_key_jwt` key (`oauth`) whose `scopes` default to, and must include, `requiredScopes`.
 */
export function oktaAuthSchema(requiredScopes: readonly string[]) {
  const oauthAuth = z
    .strictObject({
      kind: z.literal("oauth"),
      /** The client id of an API Services app that uses "Public key / Private key" authentication. */
      clientId: z.string().min(1),
      /** PEM private key (RSA, or EC P-256) whose public half is registered on the app. */
      privateKey: secretString,
      /** The `kid` of that public key in Okta, sent so Okta need not try every key. */
      keyId: z.string().min(1).optional(),
      scopes: z.array(z.string().regex(/^[a-z][A-Za-z0-9.]*$/, "an Okta scope such as okta.users.read")).min(1).default([...requiredScopes]),
    })
    .superRefine((auth, ctx) => {
      for (const needed of requiredScopes) {
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
  return z.discriminatedUnion("kind", [sswsAuth, oauthAuth]);
}

export type OktaAuthConfig = z.output<ReturnType<typeof oktaAuthSchema>>;

/** What every Okta client needs: the org, its credentials and a timeout per call. */
export interface OktaConnection {
  readonly orgUrl: string;
  readonly auth: OktaAuthConfig;
  readonly timeoutMs: number;
}

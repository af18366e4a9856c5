import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";
import { sharedSecretAuthSchema } from "../shared/webhook-auth.js";

/** The configuration `kind` of Jira Service Management (Cloud). */
export const JSM_KIND = "jira-service-management";

const basicAuth = z.strictObject({
  kind: z.literal("basic"),
  /** The Atlassian account's email address (the agent account Verity acts as). */
  email: z.string().trim().max(254).pipe(z.email("must be the Atlassian account's email address")),
  /** An API token created at id.atlassian.com > Security > API tokens, for that account. */
  apiToken: secretString,
});

/**
 * A ticketing block of kind `jira-service-management`: the Jira Cloud site, the agent account
 * Verity acts as (email and API token; OAuth 2.0 3LO is not supported), and the secret the
 * Automation rule's "Send web request" action must present.
 *
 * @example
 * ```yaml
 * ticketing:
 *   servicedesk:
 *     kind: jira-service-management
 *     siteUrl: https://acme.atlassian.net
 *     auth:
 *       kind: basic
 *       email: verity-agent@acme.example
 *       apiToken: ${JSM_API_TOKEN}
 *     webhook:
 *       kind: token
 *       header: x-verity-secret
 *       token: ${JSM_WEBHOOK_SECRET}
 *       allowedSources: [198.51.100.0/24]   # optional: Atlassian's egress ranges
 * ```
 */
export const jsmConfigSchema = z.strictObject({
  kind: z.literal(JSM_KIND),
  /** `https://{site}.atlassian.net`: the site's origin, without a path. */
  siteUrl: baseUrl.refine(
    (url) => {
      const parsed = new URL(url);
      return parsed.pathname === "/" && parsed.search === "" && parsed.hash === "" && parsed.username === "" && parsed.password === "";
    },
    { message: "must be the site's address alone (no path, query or credentials), e.g. https://acme.atlassian.net" },
  ),
  auth: z.discriminatedUnion("kind", [basicAuth]),
  /** What the Automation rule's web request presents: Automation signs nothing, so a secret header. */
  webhook: sharedSecretAuthSchema,
  timeoutMs: timeoutMs.default(10_000),
});

export type JsmConfig = z.output<typeof jsmConfigSchema>;

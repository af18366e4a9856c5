import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../../config/fields.js";
import { sharedSecretAuthSchema } from "../shared/webhook-auth.js";

/** The task tables Verity knows who the caller is on (see servicenow-ticketing.ts). */
export const SNOW_TABLES = ["incident", "sc_task", "sc_req_item"] as const;
export type SnowTable = (typeof SNOW_TABLES)[number];

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/i;

/** The instance's URL: https, except on the loopback interface (a local fake or a tunnel's near end). */
const instanceUrl = baseUrl.refine(
  (url) => {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || LOOPBACK.test(parsed.hostname);
  },
  { message: "must be https (http only for 127.0.0.1 or localhost), e.g. https://acme.service-now.com" },
);

const userName = z.string().trim().min(1).max(100);

const snowAuthSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("basic"), username: userName, password: secretString }),
  z
    .strictObject({
      kind: z.literal("oauth"),
      clientId: z.string().trim().min(1).max(200),
      clientSecret: secretString,
      /** `client_credentials` needs the instance property and an OAuth Application User (see the docs). */
      grant: z.enum(["client_credentials", "password"]).default("client_credentials"),
      username: userName.optional(),
      password: secretString.optional(),
    })
    .superRefine((auth, ctx) => {
      if (auth.grant === "password" && (auth.username === undefined || auth.password === undefined)) {
        ctx.addIssue({ code: "custom", path: ["username"], message: "the password grant needs username and password (the integration user's)" });
      }
      if (auth.grant === "client_credentials" && (auth.username !== undefined || auth.password !== undefined)) {
        ctx.addIssue({ code: "custom", path: ["username"], message: "client_credentials acts as the OAuth Application User: leave username and password out" });
      }
    }),
]);

/**
 * A ticketing block of kind `servicenow`: the instance, the integration user Verity reads tickets
 * and writes work notes as, the task tables it acts on, and how the UI Action's calls are checked.
 *
 * @example
 * ```yaml
 * ticketing:
 *   servicedesk:
 *     kind: servicenow
 *     instanceUrl: https://acme.service-now.com
 *     auth: { kind: oauth, clientId: 5b1f…, clientSecret: ${SNOW_CLIENT_SECRET} }
 *     tables: [incident, sc_task]
 *     webhook: { kind: standard-webhooks, secret: ${SNOW_WEBHOOK_SECRET} }
 * ```
 */
export const snowConfigSchema = z.strictObject({
  kind: z.literal("servicenow"),
  instanceUrl,
  auth: snowAuthSchema,
  /** Where a ticket number or sys_id is looked for, in this order. */
  tables: z
    .array(z.enum(SNOW_TABLES))
    .min(1)
    .refine((t) => new Set(t).size === t.length, { message: "list each table once" })
    .default(["incident", "sc_task"]),
  /** What the UI Action presents: a Standard Webhooks signature (recommended), or Basic credentials or a token. */
  webhook: sharedSecretAuthSchema,
  timeoutMs: timeoutMs.default(10_000),
});

export type SnowConfig = z.output<typeof snowConfigSchema>;
export type SnowAuthConfig = SnowConfig["auth"];

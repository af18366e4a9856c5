import { z } from "zod";
import { baseUrl, timeoutMs } from "../../../config/fields.js";
import { entraCredentialSchema, entraGuid } from "../../directory/entra/entra-config.js";
import { isPlainAddress } from "../email-shared/email-message.js";

/**
 * A `providers.<name>` block of kind `graph-mail`: email codes sent through Microsoft Graph
 * `POST /users/{mailbox}/sendMail` from one Exchange Online mailbox, with an app-only token
 * (client credentials, a secret or a certificate, as for the Entra directory). The app needs the
 * application permission Mail.Send, which Exchange Online should limit to `mailbox` (an
 * application access policy or RBAC for Applications: docs/integrations/email.md).
 *
 * @example
 * ```yaml
 * providers:
 *   acme-mail:
 *     kind: graph-mail
 *     tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
 *     clientId: 3f0c6a4e-7b0b-4a5e-9d7e-2d0f6f0b1c2d
 *     credential: { kind: secret, secret: ${GRAPH_MAIL_SECRET} }
 *     mailbox: servicedesk-codes@contoso.com
 * ```
 */
export const graphMailConfigSchema = z.strictObject({
  kind: z.literal("graph-mail"),
  tenantId: entraGuid,
  clientId: entraGuid,
  credential: entraCredentialSchema,
  /** The sending mailbox's UPN (or primary SMTP address); messages come from it. */
  mailbox: z.string().refine(isPlainAddress, "the sending mailbox's address, such as servicedesk-codes@contoso.com"),
  loginUrl: baseUrl.default("https://login.microsoftonline.com"),
  graphUrl: baseUrl.default("https://graph.microsoft.com"),
  /** Keep a copy of every code in the mailbox's Sent Items; off, so codes do not pile up there. */
  saveToSentItems: z.boolean().default(false),
  timeoutMs: timeoutMs.default(10_000),
});

export type GraphMailConfig = z.output<typeof graphMailConfigSchema>;

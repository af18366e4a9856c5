import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { FakeState, FakeTenant, IssuedToken } from "./fake-entra-types.js";
import { graphError } from "./fake-graph.js";

/** One message Graph accepted through sendMail. */
export interface FakeSentMail {
  readonly tenantId: string;
  readonly clientId: string;
  /** The mailbox it was sent from, as the path named it. */
  readonly mailbox: string;
  /** The JSON body as posted. */
  readonly body: unknown;
  readonly requestId: string;
}

const MAIL_SEND = ["Mail.Send"];
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * `POST /v1.0/users/{id|upn}/sendMail` as Graph v1.0 documents it: a JSON `message` (subject,
 * body {contentType Text|HTML, content}, toRecipients [{emailAddress {address}}], optional
 * internetMessageHeaders whose names start with x-) and `saveToSentItems`; 202 with an empty
 * body. Refusals: 403 ErrorAccessDenied without Mail.Send or when Exchange's application access
 * policy keeps the app off that mailbox (`mailSendScope`), 404 ErrorInvalidUser for a mailbox the
 * tenant lacks, 400 ErrorInvalidRecipients for an unresolvable recipient, 400 for a malformed
 * body. The exact error codes beyond ErrorAccessDenied and ErrorInvalidRecipients are UNCONFIRMED.
 */
export function handleSendMail(
  state: FakeState & { readonly sentMail: FakeSentMail[] },
  response: ServerResponse,
  tenant: FakeTenant,
  token: IssuedToken,
  mailboxKey: string,
  text: string,
): void {
  if (!MAIL_SEND.some((p) => token.roles.includes(p))) return graphError(response, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  const mailbox = (tenant.users ?? []).find((u) => [u.id, u.userPrincipalName, u.mail ?? ""].some((k) => k.toLowerCase() === mailboxKey.toLowerCase()));
  if (mailbox === undefined) return graphError(response, 404, "ErrorInvalidUser", `The requested user '${mailboxKey}' is invalid.`);
  const scope = tenant.mailSendScope?.[token.clientId];
  if (scope !== undefined && !scope.some((m) => m.toLowerCase() === mailbox.userPrincipalName.toLowerCase())) {
    return graphError(response, 403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return graphError(response, 400, "RequestBodyRead", "Invalid JSON in the request body.");
  }
  const problem = problemWith(body);
  if (problem !== undefined) return graphError(response, 400, problem.code, problem.message);
  const requestId = randomUUID();
  state.sentMail.push({ tenantId: tenant.id, clientId: token.clientId, mailbox: mailbox.userPrincipalName, body, requestId });
  response.writeHead(202, { "request-id": requestId, "client-request-id": requestId, "content-length": "0" });
  response.end();
}

function problemWith(body: unknown): { code: string; message: string } | undefined {
  const bad = (message: string) => ({ code: "ErrorInvalidRequest", message });
  if (!isRecord(body) || !isRecord(body.message)) return bad("The message is missing.");
  if ("saveToSentItems" in body && typeof body.saveToSentItems !== "boolean") return bad("saveToSentItems must be a boolean.");
  const message = body.message;
  if (typeof message.subject !== "string") return bad("The subject is missing.");
  const content = message.body;
  if (!isRecord(content) || !["text", "html"].includes(String(content.contentType).toLowerCase()) || typeof content.content !== "string") return bad("The body is not valid.");
  const to = message.toRecipients;
  if (!Array.isArray(to) || to.length === 0) return { code: "ErrorInvalidRecipients", message: "At least one recipient is not valid., A message can't be sent because it contains no recipients." };
  for (const recipient of to) {
    const address = isRecord(recipient) && isRecord(recipient.emailAddress) ? recipient.emailAddress.address : undefined;
    // The reserved .invalid TLD (RFC 2606) stands in for an address Exchange cannot resolve.
    if (typeof address !== "string" || !ADDRESS.test(address) || address.toLowerCase().endsWith(".invalid")) {
      return { code: "ErrorInvalidRecipients", message: "At least one recipient is not valid., Recipient is not resolved. All recipients must be resolved before a message can be submitted." };
    }
  }
  const headers = message.internetMessageHeaders;
  if (headers !== undefined) {
    if (!Array.isArray(headers)) return bad("internetMessageHeaders must be a collection.");
    for (const header of headers) {
      const name = isRecord(header) ? header.name : undefined;
      if (typeof name !== "string" || !/^x-/i.test(name) || typeof (header as Record<string, unknown>).value !== "string") {
        return { code: "InvalidInternetMessageHeader", message: `The internet message header name '${String(name)}' should start with 'x-' or 'X-'.` };
      }
    }
  }
  return undefined;
}

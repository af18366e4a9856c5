import { renderBodyTemplate } from "../ticketing-fake-http.js";

/**
 * The "Trigger Webhook" action of Freshservice's Workflow Automator, as an administrator sets it
 * up for Verity (docs/integrations/freshservice.md): a POST with `Content-Type: application/json`,
 * the body the administrator wrote with its placeholders replaced, and the credentials chosen
 * under Authentication or as a custom header.
 */

/** The body template the docs tell administrators to paste. */
export const FRESHSERVICE_BODY_TEMPLATE = '{"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}", "agent_id": "{{ticket.agent.id}}"}';

/** The same template with a per-press id and time, for deliveries tests want to name. */
export const FRESHSERVICE_BODY_TEMPLATE_WITH_ID =
  '{"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}", "agent_id": "{{ticket.agent.id}}", "event_id": "{{event.id}}"}';

export type FreshserviceWebhookAuth =
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  | { readonly kind: "header"; readonly name: string; readonly value: string }
  | { readonly kind: "none" };

export interface FreshservicePress {
  readonly ticketId: number | string;
  readonly requesterEmail?: string;
  readonly agentId?: number;
  /** Fills `{{event.id}}` when the template has it. */
  readonly eventId?: string;
  readonly template?: string;
}

/** The request Freshservice would send for a press: headers and body bytes. */
export function freshserviceDelivery(press: FreshservicePress, auth: FreshserviceWebhookAuth): { headers: Record<string, string>; body: string } {
  const template = press.template ?? (press.eventId === undefined ? FRESHSERVICE_BODY_TEMPLATE : FRESHSERVICE_BODY_TEMPLATE_WITH_ID);
  const body = renderBodyTemplate(template, {
    "ticket.id": press.ticketId,
    "ticket.requester.email": press.requesterEmail,
    "ticket.agent.id": press.agentId,
    "event.id": press.eventId,
  });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth.kind === "basic") headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64")}`;
  if (auth.kind === "header") headers[auth.name.toLowerCase()] = auth.value;
  return { headers, body };
}

/** POSTs a press to a Verity trigger URL as Freshservice would; returns the status and body. */
export async function postFreshserviceWebhook(url: string, press: FreshservicePress, auth: FreshserviceWebhookAuth): Promise<{ status: number; json: unknown }> {
  const { headers, body } = freshserviceDelivery(press, auth);
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

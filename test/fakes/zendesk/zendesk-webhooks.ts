import { createHmac, randomUUID } from "node:crypto";
import { renderBodyTemplate } from "../ticketing-fake-http.js";

/**
 * A Zendesk webhook connected to a trigger, as an administrator sets it up for Verity
 * (docs/integrations/zendesk.md): the trigger's JSON body with placeholders replaced, and the
 * headers Zendesk adds to every request, signed with the webhook's signing secret.
 */

/** The JSON body the docs tell administrators to paste into the trigger's action. */
export const ZENDESK_BODY_TEMPLATE = '{"ticket_id": "{{ticket.id}}", "requester_email": "{{ticket.requester.email}}", "agent_id": "{{current_user.id}}"}';

export interface ZendeskPress {
  readonly ticketId: number | string;
  readonly requesterEmail?: string;
  readonly agentId?: number;
  readonly template?: string;
}

export interface ZendeskSigning {
  readonly secret: string;
  /** When Zendesk signed; default now. Sent as ISO 8601 without milliseconds. */
  readonly at?: Date;
  readonly invocationId?: string;
}

/** base64(HMAC-SHA256(secret, timestamp + body)), Zendesk's webhook signature. */
export function zendeskSignature(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(timestamp + body).digest("base64");
}

/** The request Zendesk would send for a trigger firing: headers and body. */
export function zendeskDelivery(press: ZendeskPress, signing: ZendeskSigning): { headers: Record<string, string>; body: string } {
  const body = renderBodyTemplate(press.template ?? ZENDESK_BODY_TEMPLATE, {
    "ticket.id": press.ticketId,
    "ticket.requester.email": press.requesterEmail,
    "current_user.id": press.agentId,
  });
  const timestamp = (signing.at ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    headers: {
      "content-type": "application/json",
      "x-zendesk-account-id": "12345678",
      "x-zendesk-webhook-id": "01HZZ1X0S6YB3XW3M3R9KQ0W1N",
      "x-zendesk-webhook-invocation-id": signing.invocationId ?? randomUUID(),
      "x-zendesk-webhook-signature-timestamp": timestamp,
      "x-zendesk-webhook-signature": zendeskSignature(signing.secret, timestamp, body),
    },
    body,
  };
}

/** POSTs a delivery to a Verity trigger URL; returns the status and body. */
export async function postZendeskWebhook(url: string, delivery: { headers: Record<string, string>; body: string }): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

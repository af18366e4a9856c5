import { randomUUID } from "node:crypto";

/** One "Verify User" press, as the runbook-compatible body carries it. */
export interface RunbookDeliveryInput {
  readonly email: string;
  readonly ticketId: number | string;
  readonly id?: string;
  readonly timestamp?: string;
}

/** The runbook-compatible body: `[{ id, timestamp, content: { HaloUser, TicketID } }]`. */
export function runbookBody(deliveries: readonly RunbookDeliveryInput[]): unknown[] {
  return deliveries.map((d) => ({
    id: d.id ?? randomUUID(),
    timestamp: d.timestamp ?? new Date().toISOString(),
    content: { HaloUser: d.email, TicketID: d.ticketId },
  }));
}

export interface HaloTicketPayloadInput {
  readonly ticketId: number;
  readonly agentId?: number;
  readonly event?: string;
  readonly userId?: number;
  readonly userEmail?: string;
  readonly id?: string;
  readonly timestamp?: string;
}

/**
 * Halo's own webhook payload for a ticket event ("full object" mode, batching off), shaped like
 * the captured example in PROVIDERS.md §5.1, with some of the many extra fields Halo sends.
 */
export function haloTicketPayload(input: HaloTicketPayloadInput): Record<string, unknown> {
  return {
    id: input.id ?? randomUUID(),
    webhook_id: "5323b1c4-1d2e-4f50-9a61-7b8c9d0e1f23",
    notification_id: 41,
    escmsg_id: randomUUID(),
    event: input.event ?? "ticket action added",
    message: `An action was added to Ticket ID: ${String(input.ticketId).padStart(7, "0")}.`,
    object_id: input.ticketId,
    ...(input.agentId === undefined ? {} : { agent_id: input.agentId }),
    timestamp: input.timestamp ?? new Date().toISOString().replace("Z", "0000Z"),
    ticket: {
      id: input.ticketId,
      status_id: 1,
      summary: "Password reset",
      client_id: 12,
      site_id: 31,
      ...(input.userId === undefined ? {} : { user_id: input.userId }),
      ...(input.userEmail === undefined ? {} : { user: { id: input.userId, emailaddress: input.userEmail, name: "Jane Doe" } }),
      customfields: [],
    },
  };
}

export type WebhookAuth =
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  | { readonly kind: "token"; readonly token: string; readonly header?: "authorization" | "x-verity-token" }
  | { readonly kind: "none" };

/** `Basic base64(username:password)`, as Halo sends it. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** The headers a webhook with `auth` carries. */
export function webhookAuthHeaders(auth: WebhookAuth): Record<string, string> {
  if (auth.kind === "basic") return { authorization: basicAuthorization(auth.username, auth.password) };
  if (auth.kind === "token") {
    return auth.header === "x-verity-token" ? { "x-verity-token": auth.token } : { authorization: `Bearer ${auth.token}` };
  }
  return {};
}

/** POSTs a webhook body to a Verity URL as Halo would, and returns the answer. */
export async function postHaloWebhook(
  url: string,
  body: unknown,
  auth: WebhookAuth,
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...webhookAuthHeaders(auth) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

import { createHash, createHmac, randomUUID } from "node:crypto";

/** One ConnectWise callback delivery to describe. */
export interface CallbackInput {
  readonly ticketId: number;
  /** The member whose change fired it (ConnectWise sends the identifier). */
  readonly memberId?: string;
  readonly messageId?: string;
  readonly action?: "added" | "updated" | "deleted";
  readonly type?: string;
  /** Overrides the key_url in the body (allow-list tests). */
  readonly keyUrl?: string;
  /** Signs with this key instead (a forgery). */
  readonly signingKey?: string;
  readonly companyId?: string;
  /** The registered callback's record id (`CallbackObjectRecId`). */
  readonly callbackId?: number;
}

export interface SignedCallback {
  /** The exact bytes ConnectWise posts. */
  readonly body: string;
  /** `x-content-signature`: base64 HMAC-SHA256 keyed with SHA-256 of the signing key. */
  readonly signature: string;
  /** The query ConnectWise appends to the registered URL (`…?recordId=` + the ticket id). */
  readonly recordId: string;
}

/** The signature ConnectWise puts in `x-content-signature` for `body`. */
export function callbackSignature(signingKey: string, body: string): string {
  const key = createHash("sha256").update(signingKey, "utf8").digest();
  return createHmac("sha256", key).update(body, "utf8").digest("base64");
}

/**
 * A callback body as ConnectWise sends it (keys and order as in Nango's type and captured
 * payloads; `Entity` is the record as a JSON string) and its signature.
 */
export function signedCallback(input: CallbackInput & { readonly keyUrl: string; readonly signingKey: string; readonly companyId: string }): SignedCallback {
  const body = JSON.stringify({
    MessageId: input.messageId ?? randomUUID(),
    FromUrl: "api-na.myconnectwise.net",
    CompanyId: input.companyId,
    MemberId: input.memberId ?? "jtech",
    Action: input.action ?? "updated",
    Type: input.type ?? "ticket",
    ID: input.ticketId,
    ProductInstanceId: null,
    PartnerId: null,
    Entity: JSON.stringify({ id: input.ticketId, summary: "Password reset", status: { id: 42, name: "Verify caller" } }),
    Metadata: { key_url: input.keyUrl },
    CallbackObjectRecId: input.callbackId ?? 26604,
  });
  return { body, signature: callbackSignature(input.signingKey, body), recordId: String(input.ticketId) };
}

/** POSTs a signed callback to a Verity hook URL the way ConnectWise does (`url` + `?recordId=<id>`). */
export async function deliverCallback(hookUrl: string, callback: SignedCallback, headers: Record<string, string> = { "x-content-signature": callback.signature }): Promise<{ status: number; text: string }> {
  const response = await fetch(`${hookUrl}?recordId=${callback.recordId}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: callback.body });
  return { status: response.status, text: await response.text() };
}

import { createHmac, randomBytes } from "node:crypto";

/** One press of the "Verify caller" UI Action, as the script in docs/integrations/servicenow.md reads the form. */
export interface UiActionPress {
  readonly table: string;
  readonly sysId?: string;
  readonly number?: string;
  /** gs.getUserName(). */
  readonly requestedBy: string;
  /** current.caller_id.email (or the RITM's requested_for.email); "" when the caller has none. */
  readonly callerEmail?: string;
  /** gs.generateGUID() when absent. */
  readonly id?: string;
  /** Math.floor(new GlideDateTime().getNumericValue() / 1000). */
  readonly timestampSeconds: number;
}

export type UiActionAuth =
  | { readonly kind: "standard-webhooks"; readonly secret: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  | { readonly kind: "token"; readonly token: string; readonly header?: string };

/**
 * The body exactly as the script builds it: the same keys in the same order through
 * JSON.stringify, then every character above U+007E escaped as \uXXXX so the bytes signed in
 * ServiceNow (whatever charset generateMac uses) are the bytes sent.
 */
export function uiActionBody(press: UiActionPress & { readonly id: string }): string {
  const body = {
    id: press.id,
    table: press.table,
    sys_id: press.sysId,
    number: press.number,
    requestedBy: press.requestedBy,
    callerEmail: press.callerEmail ?? "",
    timestamp: press.timestampSeconds,
  };
  return JSON.stringify(body).replace(/[\u007f-\uffff]/g, (c) => `\\u${`0000${c.charCodeAt(0).toString(16)}`.slice(-4)}`);
}

/**
 * The request the UI Action sends: headers and body. For Standard Webhooks this reproduces
 * `new GlideCertificateEncryption().generateMac(secret.substring(6), "HmacSHA256", id + "." + ts + "." + body)`:
 * generateMac takes the key base64-encoded, which the part after `whsec_` already is.
 */
export function uiActionRequest(press: UiActionPress, auth: UiActionAuth): { headers: Record<string, string>; body: string; id: string } {
  const id = press.id ?? randomBytes(16).toString("hex");
  const body = uiActionBody({ ...press, id });
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (auth.kind === "standard-webhooks") {
    const ts = String(press.timestampSeconds);
    const mac = createHmac("sha256", Buffer.from(auth.secret.substring(6), "base64")).update(`${id}.${ts}.${body}`, "utf8").digest("base64");
    headers["webhook-id"] = id;
    headers["webhook-timestamp"] = ts;
    headers["webhook-signature"] = `v1,${mac}`;
  } else if (auth.kind === "basic") {
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64")}`;
  } else {
    headers[auth.header ?? "x-verity-token"] = auth.token;
  }
  return { headers, body, id };
}

/** POSTs a press to Verity's trigger URL; `mutate` may alter the request after signing (tamper tests). */
export async function pressUiAction(
  url: string,
  press: UiActionPress,
  auth: UiActionAuth,
  mutate: (request: { headers: Record<string, string>; body: string }) => { headers: Record<string, string>; body: string } = (r) => r,
): Promise<{ status: number; text: string }> {
  const { headers, body } = mutate(uiActionRequest(press, auth));
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, text: await response.text() };
}

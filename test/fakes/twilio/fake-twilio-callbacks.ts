import { createHmac } from "node:crypto";

/** One status callback the fake sent (or tried to). */
export interface RecordedCallback {
  readonly messageSid: string;
  readonly status: string;
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly signature: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  readonly responseStatus: number | null;
}

/**
 * The `X-Twilio-Signature` for a form POST, written here independently of Verity's validator so
 * that a mistake in one is not mirrored in the other: HMAC-SHA1 with the Auth Token over the URL
 * followed by each parameter's name and value in name order, base64.
 */
export function signTwilioForm(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const names = Object.keys(params).sort();
  const data = names.reduce((text, name) => `${text}${name}${params[name] ?? ""}`, url);
  return createHmac("sha1", Buffer.from(authToken, "utf8")).update(Buffer.from(data, "utf8")).digest("base64");
}

/** Posts one signed status callback the way Twilio does, and reports how the receiver answered. */
export async function postStatusCallback(
  authToken: string,
  url: string,
  messageSid: string,
  params: Readonly<Record<string, string>>,
): Promise<RecordedCallback> {
  const signature = signTwilioForm(authToken, url, params);
  let responseStatus: number | null = null;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": signature,
        "user-agent": "TwilioProxy/1.1",
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    responseStatus = response.status;
  } catch {
    responseStatus = null;
  }
  return { messageSid, status: params.MessageStatus ?? "", url, params, signature, responseStatus };
}

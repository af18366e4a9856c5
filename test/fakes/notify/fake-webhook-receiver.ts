import type { IncomingHttpHeaders } from "node:http";
import { Webhook } from "standardwebhooks";
import { misbehave, startHttpFake, type FakeMode } from "./http-fake.js";
import { specVerify } from "./standard-webhooks-verify.js";

export interface ReceivedWebhook {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A Standard Webhooks receiver as its documentation tells one to be: it verifies the signature
 * over the raw body (401 when it does not verify), refuses stale timestamps, and treats
 * `webhook-id` as the idempotency key (a redelivery is answered 200 and not processed again).
 * Every attempt is kept in `attempts`, including those it was told to fail.
 *
 * A delivery is accepted only when two verifiers agree: the tests' own, written from the
 * specification's text, and the Standard Webhooks reference library (`standardwebhooks`, the
 * project's JavaScript library), whose signature for the message's id, timestamp and body must be
 * one of those sent. (The library's own `verify` also checks the timestamp against the real
 * clock, which tests that move a fake clock cannot use; the freshness check is the first
 * verifier's.)
 */
export interface FakeWebhookReceiver {
  readonly url: string;
  /** Attempts in arrival order: headers and body, whether or not they were accepted. */
  readonly attempts: ReceivedWebhook[];
  /** Messages processed, once per webhook-id. */
  readonly messages: ReceivedWebhook[];
  /** Attempts refused for a bad signature, with why. */
  readonly refused: string[];
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

export async function startFakeWebhookReceiver(options: { secret: string; path?: string; nowSeconds?: () => number }): Promise<FakeWebhookReceiver> {
  const attempts: ReceivedWebhook[] = [];
  const messages: ReceivedWebhook[] = [];
  const refused: string[] = [];
  let mode: FakeMode = { kind: "ok" };
  const header = (headers: IncomingHttpHeaders, name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const fake = await startHttpFake((request, body, response) => {
    const received: ReceivedWebhook = {
      id: header(request.headers, "webhook-id") ?? "",
      timestamp: header(request.headers, "webhook-timestamp") ?? "",
      signature: header(request.headers, "webhook-signature") ?? "",
      body,
      headers: request.headers,
    };
    attempts.push(received);
    if (misbehave(mode, request, response)) return;
    if (request.method !== "POST" || !(request.headers["content-type"] ?? "").startsWith("application/json")) {
      return void response.writeHead(415).end();
    }
    const verdict = specVerify({
      secret: options.secret,
      id: header(request.headers, "webhook-id"),
      timestamp: header(request.headers, "webhook-timestamp"),
      signatureHeader: header(request.headers, "webhook-signature"),
      body,
      nowSeconds: options.nowSeconds?.() ?? Date.now() / 1000,
    });
    if (!verdict.ok) {
      refused.push(verdict.why);
      return void response.writeHead(401).end();
    }
    const reference = new Webhook(options.secret).sign(received.id, new Date(Number(received.timestamp) * 1000), body);
    if (!received.signature.split(" ").includes(reference)) {
      refused.push("the Standard Webhooks reference library computes another signature");
      return void response.writeHead(401).end();
    }
    if (!messages.some((m) => m.id === received.id)) messages.push(received);
    response.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  return {
    url: `${fake.origin}${options.path ?? "/hooks/verity"}`,
    attempts,
    messages,
    refused,
    setMode: (m) => (mode = m),
    close: () => fake.close(),
  };
}

import { misbehave, startHttpFake, type FakeMode } from "./http-fake.js";

/**
 * A Slack incoming webhook (PROVIDERS.md 9.3): POST JSON `{text}` and/or `{blocks}` to
 * `/services/T…/B…/<secret>`. Success is 200 with the plain-text body `ok`; errors are statuses
 * with a word (`invalid_payload`, `no_text`, `no_service`: the words are UNCONFIRMED). Tell it to
 * fail with `setMode`: `{kind:"status",status:400,body:"invalid_payload"}`, a 429 with
 * Retry-After, a 410 `channel_is_archived`, or drop connections (down).
 */
export interface FakeSlackWebhook {
  readonly url: string;
  readonly messages: { text?: string; blocks?: unknown[] }[];
  readonly bodies: string[];
  attempts(): number;
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

export async function startFakeSlackWebhook(): Promise<FakeSlackWebhook> {
  const path = "/services/T0VERITY1/B0NOTIFY2/s3cr3tSl4ckW3bh00kT0k3n9";
  const messages: { text?: string; blocks?: unknown[] }[] = [];
  const bodies: string[] = [];
  let attempts = 0;
  let mode: FakeMode = { kind: "ok" };
  const fake = await startHttpFake((request, body, response) => {
    attempts += 1;
    if (misbehave(mode, request, response)) return;
    const answer = (status: number, text: string) => void response.writeHead(status, { "content-type": "text/plain" }).end(text);
    if (request.method !== "POST" || request.url !== path) return answer(404, "no_service");
    let parsed: { text?: unknown; blocks?: unknown };
    try {
      parsed = JSON.parse(body) as { text?: unknown; blocks?: unknown };
    } catch {
      return answer(400, "invalid_payload");
    }
    if (parsed.blocks !== undefined && !Array.isArray(parsed.blocks)) return answer(400, "invalid_blocks");
    if ((typeof parsed.text !== "string" || parsed.text === "") && parsed.blocks === undefined) return answer(400, "no_text");
    bodies.push(body);
    messages.push(parsed as { text?: string; blocks?: unknown[] });
    answer(200, "ok");
  });
  return {
    url: `${fake.origin}${path}`,
    messages,
    bodies,
    attempts: () => attempts,
    setMode: (m) => (mode = m),
    close: () => fake.close(),
  };
}

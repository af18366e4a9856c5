import { misbehave, startHttpFake, type FakeMode } from "./http-fake.js";

/**
 * A Power Automate "When a Teams webhook request is received" trigger (PROVIDERS.md 9.2). Its URL
 * is the credential: a request without the right `sig` is refused (401). It accepts a message
 * whose first attachment is an Adaptive Card with 202 Accepted (the status is UNCONFIRMED in our
 * sources; Verity takes any 2xx), and answers 400 for a body the flow could not post.
 */
export interface FakeTeamsWorkflow {
  /** The trigger URL with its signature, as the workflow's page shows it. */
  readonly url: string;
  readonly signature: string;
  /** The cards posted to the channel (`attachments[0].content`). */
  readonly cards: Record<string, unknown>[];
  readonly bodies: string[];
  attempts(): number;
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

export async function startFakeTeamsWorkflow(): Promise<FakeTeamsWorkflow> {
  const signature = "Xq3v9-teams-sig-0123456789abcdefABCDEF_-xyz";
  const path = "/workflows/4f1d2c3b5a6e7f8091a2b3c4d5e6f708/triggers/manual/paths/invoke";
  const cards: Record<string, unknown>[] = [];
  const bodies: string[] = [];
  let attempts = 0;
  let mode: FakeMode = { kind: "ok" };
  const fake = await startHttpFake((request, body, response) => {
    attempts += 1;
    if (misbehave(mode, request, response)) return;
    const url = new URL(request.url ?? "/", "http://fake");
    if (request.method !== "POST" || url.pathname !== path) return void response.writeHead(404).end();
    if (url.searchParams.get("sig") !== signature) {
      response.writeHead(401, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ error: { code: "DirectApiAuthorizationRequired", message: "The request must be authenticated." } }));
    }
    const card = adaptiveCardOf(body);
    if (card === undefined) {
      response.writeHead(400, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ error: { code: "InvalidRequestContent", message: "The request content is not valid." } }));
    }
    bodies.push(body);
    cards.push(card);
    response.writeHead(202).end();
  });
  return {
    url: `${fake.origin}${path}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${signature}`,
    signature,
    cards,
    bodies,
    attempts: () => attempts,
    setMode: (m) => (mode = m),
    close: () => fake.close(),
  };
}

function adaptiveCardOf(body: string): Record<string, unknown> | undefined {
  try {
    const message = JSON.parse(body) as { type?: unknown; attachments?: { contentType?: unknown; content?: Record<string, unknown> }[] };
    const attachment = message.attachments?.[0];
    const content = attachment?.content;
    if (message.type !== "message" || attachment?.contentType !== "application/vnd.microsoft.card.adaptive" || content === undefined) return undefined;
    if (content.type !== "AdaptiveCard" || typeof content.version !== "string" || !Array.isArray(content.body)) return undefined;
    return content;
  } catch {
    return undefined;
  }
}

import { join } from "node:path";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import type { Runtime } from "../../src/main.js";
import { acmeTenant } from "./runtime.js";

/** Acme with the confirmation-link methods enabled beside its others. */
export function acmeWithLinks(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return acmeTenant(dir, {
    methods: { sms: "console", email: "console", "sms-link": "console", "email-link": "console", "simulated-push": "phone", "simulated-passcode": "phone" },
    ...extra,
  });
}

/** The newest confirmation link sent for a verification, read off the console outbox as the caller's phone shows it. */
export async function linkSentFor(runtime: Runtime, verificationId: string): Promise<{ url: string; ref: string; token: string; text: string }> {
  const messages = await readOutbox(join(runtime.config.dataDir, "dev-outbox.jsonl"), 500);
  const message = messages.find((m) => m.verificationId === verificationId);
  const match = /(https?:\/\/\S+\/c\/([0-9a-f-]{36}\.([A-Za-z0-9_-]{22})))/.exec(message?.text ?? "");
  if (message === undefined || match?.[1] === undefined || match[2] === undefined || match[3] === undefined) throw new Error(`no link was sent for ${verificationId}`);
  return { url: match[1], ref: match[2], token: match[3], text: message.text };
}

import { randomUUID } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { CodeChannel } from "../../../domain/methods.js";
import type { Clock, DeliveryReceipt, MessageChannel, OutboundMessage } from "../../../domain/ports.js";

/** One message in the development outbox (the demo phone's inbox). */
export interface OutboxMessage {
  readonly id: string;
  readonly at: string;
  readonly channel: CodeChannel;
  readonly to: string;
  readonly toMasked: string;
  readonly subject: string;
  readonly text: string;
  readonly verificationId: string;
  readonly tenantId: string;
}

export const CONSOLE_LABEL = "console channel · DEVELOPMENT ONLY · nothing is really sent";

/**
 * A development channel: instead of sending, it appends each message to a JSON-lines outbox file
 * (the demo phone reads it) and prints it. The outbox holds message text, so it exists only
 * where this channel is configured; the label travels with every line it prints.
 */
export function createConsoleChannel(options: {
  name: string;
  channels: readonly CodeChannel[];
  outboxPath: string;
  clock: Clock;
  print: (line: string) => void;
  mask: (message: OutboundMessage) => string;
}): MessageChannel {
  return {
    name: options.name,
    developmentOnly: true,
    channels: options.channels,
    async send(message): Promise<DeliveryReceipt> {
      const entry: OutboxMessage = {
        id: `dev_${randomUUID()}`,
        at: options.clock.now().toISOString(),
        channel: message.channel,
        to: message.to,
        toMasked: options.mask(message),
        subject: message.subject,
        text: message.text,
        verificationId: message.verificationId,
        tenantId: message.tenantId,
      };
      await mkdir(dirname(options.outboxPath), { recursive: true, mode: 0o700 });
      await appendFile(options.outboxPath, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      options.print(`[${CONSOLE_LABEL}] ${message.channel.toUpperCase()} to ${entry.toMasked}: ${message.text}`);
      return { providerRef: entry.id };
    },
    probe: () =>
      Promise.resolve({
        ok: true,
        detail: `A development channel: it sends nothing to anyone, and writes each message to ${options.outboxPath} (the demo phone's inbox) and the console instead.`,
      }),
  };
}

/** The newest `limit` messages of the outbox, newest first; a missing outbox is empty. */
export async function readOutbox(outboxPath: string, limit = 50): Promise<OutboxMessage[]> {
  let content: string;
  try {
    content = await readFile(outboxPath, "utf8");
  } catch {
    return [];
  }
  const lines = content.split("\n").filter((l) => l.trim() !== "");
  const messages: OutboxMessage[] = [];
  for (const line of lines.slice(-limit).reverse()) {
    try {
      messages.push(JSON.parse(line) as OutboxMessage);
    } catch {
      // a torn last line from a concurrent writer is skipped, not fatal
    }
  }
  return messages;
}

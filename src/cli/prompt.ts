import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** Reads stdin a line at a time; `next` resolves null at end of input. */
export function lineReader(input: Readable): { next(): Promise<string | null>; close(): void } {
  const rl = createInterface({ input, terminal: false });
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  rl.on("line", (text) => {
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(text);
    else lines.push(text);
  });
  rl.on("close", () => {
    ended = true;
    for (const waiter of waiting.splice(0)) waiter(null);
  });
  return {
    next() {
      const text = lines.shift();
      if (text !== undefined) return Promise.resolve(text);
      if (ended) return Promise.resolve(null);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => rl.close(),
  };
}

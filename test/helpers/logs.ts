import { Writable } from "node:stream";

/** A log destination that keeps every line, so tests can read what was logged. */
export function captureLogs(): { stream: Writable & { flushSync(): void }; lines: string[] } {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
        done();
      },
    }),
    { flushSync() {} },
  );
  return { stream, lines };
}

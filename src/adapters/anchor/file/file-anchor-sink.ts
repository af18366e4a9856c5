import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { AnchorSink } from "../../../domain/ports.js";
import type { FileAnchorSinkConfig } from "../anchor-config.js";

/**
 * Appends each anchor as one JSON line, synced before `write` resolves. A crash mid-write can
 * leave a cut-short last line; the next anchor then starts on a line of its own, so the damage
 * stays one unreadable line instead of spoiling the next anchor too. Real protection needs the
 * file on another volume or host (a mounted share, an append-only file), out of reach of whoever
 * can write the database.
 */
export function createFileAnchorSink(config: FileAnchorSinkConfig): AnchorSink {
  return {
    kind: "file",
    label: config.path,
    async write(anchor) {
      await mkdir(dirname(config.path), { recursive: true, mode: 0o700 });
      const file = await open(config.path, "a+", 0o600);
      try {
        const { size } = await file.stat();
        const last = Buffer.alloc(1);
        if (size > 0) await file.read(last, 0, 1, size - 1);
        const separator = size > 0 && last[0] !== 0x0a ? "\n" : "";
        await file.appendFile(`${separator}${JSON.stringify(anchor)}\n`, "utf8");
        await file.datasync();
      } finally {
        await file.close();
      }
    },
  };
}

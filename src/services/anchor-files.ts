import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseAnchor, type AnchorRecord } from "../domain/audit-anchor.js";
import type { KeyRing } from "../domain/keys.js";

/** A line of an anchor file that is not a good anchor. */
export interface AnchorLineProblem {
  readonly source: string;
  readonly line: number;
  /**
   * `forged`: shaped like an anchor (or any JSON), but its MAC does not verify: someone edited or
   * wrote it. `unreadable`: not JSON at all, as a write cut short by a crash leaves; it cannot
   * pass for an anchor, so it is reported but not held against the log.
   */
  readonly problem: "forged" | "unreadable";
}

export type FoundAnchor = AnchorRecord & { readonly source: string };

export interface AnchorFilesReading {
  /** Every distinct anchor (event number and hash) across the files, as first written. */
  readonly anchors: readonly FoundAnchor[];
  readonly problems: readonly AnchorLineProblem[];
  /** The files that exist and were read. */
  readonly read: readonly string[];
}

/** Reads every anchor from the given files, checking each line's MAC. */
export async function readAnchorFiles(keys: Pick<KeyRing, "anchor">, paths: readonly string[]): Promise<AnchorFilesReading> {
  const anchors = new Map<string, FoundAnchor>();
  const problems: AnchorLineProblem[] = [];
  const read: string[] = [];
  for (const path of paths) {
    let lines: AsyncIterable<string>;
    try {
      await (await open(path, "r")).close();
      lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    read.push(path);
    let number = 0;
    for await (const text of lines) {
      number += 1;
      if (text.trim() === "") continue;
      const parsed = parseAnchor(keys, text);
      if (parsed.kind === "anchor") {
        const key = `${parsed.record.seq}:${parsed.record.hash}`;
        if (!anchors.has(key)) anchors.set(key, { ...parsed.record, source: path });
      } else {
        problems.push({ source: path, line: number, problem: parsed.kind });
      }
    }
  }
  return { anchors: [...anchors.values()], problems, read };
}

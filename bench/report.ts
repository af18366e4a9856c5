// docs/benchmarks.md is written by `npm run bench` alone: bench/server.ts starts it afresh (the
// machine, the command, the date), and each later part appends its own section.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCHMARKS_FILE = join(fileURLToPath(new URL("../../", import.meta.url)), "docs", "benchmarks.md");

/** Appends a section (unless BENCH_WRITE=0): a heading and its lines, as printed. */
export function appendSection(heading: string, lines: readonly string[]): void {
  if (process.env.BENCH_WRITE === "0") return;
  appendFileSync(BENCHMARKS_FILE, ["", `## ${heading}`, "", ...lines, ""].join("\n"));
}

import { appendFileSync } from "node:fs";

/**
 * A module loader hook (node:module register) that appends every ES module URL a process loads
 * to the file VERITY_TEST_MODULE_LOG names: tests read it to see what a command loaded.
 */
export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  const log = process.env.VERITY_TEST_MODULE_LOG;
  if (log !== undefined) appendFileSync(log, `${url}\n`);
  return next(url, context);
}

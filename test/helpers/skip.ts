import { describe, it } from "node:test";

/**
 * A suite that may have to be skipped (no contract files, no PostgreSQL, no browser). Node counts
 * a skipped suite as no test at all (its summary says `skipped 0`), so a skipped suite is reported
 * as one skipped test that gives the reason.
 */
export function describeUnless(name: string, skip: string | false, suite: () => void): void {
  if (skip === false) describe(name, suite);
  else it(name, { skip }, () => {});
}

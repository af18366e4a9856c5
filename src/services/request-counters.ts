import { createHmac } from "node:crypto";
import type { Kysely } from "kysely";
import type { RequestCounter } from "../domain/ports.js";
import type { Database } from "../store/schema.js";

/** The in-process counter also answers at once, for callers that must not wait (see rate-limit.ts). */
export interface MemoryRequestCounter extends RequestCounter {
  /** `add` without the promise. */
  addNow(key: string, windowStart: number): number;
  /** Raises `key`'s count in the window to at least `count` (what a shared counter reported). */
  raise(key: string, windowStart: number, count: number): void;
}

/**
 * Counts in this process: one instance (SQLite), no database cost. Windows that have ended are
 * dropped when the next one begins, so the map holds the current minute's clients only.
 */
export function createMemoryRequestCounter(): MemoryRequestCounter {
  const windows = new Map<string, { start: number; count: number }>();
  let current = 0;
  const entryOf = (key: string, windowStart: number) => {
    if (windowStart > current) {
      for (const [k, w] of windows) if (w.start < windowStart) windows.delete(k);
      current = windowStart;
    }
    const found = windows.get(key);
    if (found !== undefined && found.start === windowStart) return found;
    const entry = { start: windowStart, count: 0 };
    windows.set(key, entry);
    return entry;
  };
  const addNow = (key: string, windowStart: number): number => {
    const entry = entryOf(key, windowStart);
    entry.count += 1;
    return entry.count;
  };
  return {
    shared: false,
    addNow,
    add: (key, windowStart) => Promise.resolve(addNow(key, windowStart)),
    raise(key, windowStart, count) {
      const entry = entryOf(key, windowStart);
      entry.count = Math.max(entry.count, count);
    },
    forgetBefore(before) {
      let dropped = 0;
      for (const [k, w] of windows) {
        if (w.start < before) {
          windows.delete(k);
          dropped += 1;
        }
      }
      return Promise.resolve(dropped);
    },
  };
}

/**
 * Counts in PostgreSQL's `rate_limit_windows`, so every instance on the database adds to the
 * same count: one upsert per request, no read-then-write race. Keys are stored as their bucket
 * kind and a keyed hash (`addr:Qx3…`): client addresses are personal data and token or account
 * ids need not be readable there. Old windows are deleted by the background sweep, never on the
 * request path.
 *
 * @example
 * const counter = createSharedRequestCounter({ db, key: keys.requestLimit });
 * await counter.add("addr:203.0.113.7", 1_796_000_040_000); // 1, 2, … across all instances
 */
export function createSharedRequestCounter(deps: { db: Kysely<Database>; key: Buffer }): RequestCounter {
  const stored = (key: string): string => {
    const colon = key.indexOf(":");
    return `${colon > 0 ? key.slice(0, colon) : "key"}:${createHmac("sha256", deps.key).update(key).digest("base64url")}`;
  };
  return {
    shared: true,
    async add(key, windowStart) {
      const row = await deps.db
        .insertInto("rate_limit_windows")
        .values({ key: stored(key), window_start: windowStart, count: 1 })
        .onConflict((oc) => oc.columns(["key", "window_start"]).doUpdateSet((eb) => ({ count: eb("rate_limit_windows.count", "+", 1) })))
        .returning("count")
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    async forgetBefore(before) {
      const result = await deps.db.deleteFrom("rate_limit_windows").where("window_start", "<", before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

import type { Clock } from "../../src/domain/ports.js";

export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(date: Date): void;
}

/** A clock that moves only when told to. */
export function createFakeClock(start = new Date("2026-11-23T09:00:00.000Z")): FakeClock {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
    set(date) {
      now = date.getTime();
    },
  };
}

import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A configured secret. It prints, serialises and inspects as `[redacted]`; only `reveal()` gives
 * the value, so a secret reaches a log or a response only by someone writing `reveal()` there.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** A secret Verity made itself when the configuration was read (never written in a file), e.g. the demo provider's client secret. */
export class GeneratedSecret extends Secret {}

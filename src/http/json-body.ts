import type { FastifyInstance } from "fastify";
import { VerityError } from "../domain/errors.js";

const MAX_DEPTH = 32;
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses JSON bodies strictly: valid UTF-8 only, at most 32 levels deep, and no `__proto__` or
 * `constructor` keys anywhere (they have no meaning in Verity's API and are the usual vector for
 * prototype pollution further down). Failures are INVALID_JSON, never a 500.
 */
export function parseStrictJson(raw: Buffer): unknown {
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw new VerityError("INVALID_JSON", { message: "The request body is not valid UTF-8." });
  }
  if (text.trim() === "") throw new VerityError("INVALID_JSON", { message: "The request body is empty." });
  if (nestingDepth(text) > MAX_DEPTH) {
    throw new VerityError("INVALID_JSON", { message: `The JSON is nested more than ${MAX_DEPTH} levels deep.` });
  }
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__" || key === "constructor") throw new SyntaxError("forbidden key");
      return value;
    });
  } catch {
    throw new VerityError("INVALID_JSON");
  }
}

/** The deepest bracket nesting outside strings, found without recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i += 1;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      depth += 1;
      if (depth > max) max = depth;
    } else if (ch === 0x7d || ch === 0x5d) depth -= 1;
  }
  return max;
}

export function registerStrictJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    try {
      done(null, parseStrictJson(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

import type { z } from "zod";

/** A JSON text's value, or `undefined` when the text is not JSON (a vendor's HTML error page, say). */
export function readJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Parses a JSON text with a schema; `undefined` when it is not JSON or not that shape. */
export function parseJson<T>(schema: z.ZodType<T>, text: string): T | undefined {
  const parsed = schema.safeParse(readJson(text));
  return parsed.success ? parsed.data : undefined;
}

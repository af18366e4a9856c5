/**
 * The CLI shows the runtime's warnings and errors to a person, not as pino's JSON: one line each,
 * `verity: warning: <message> (key=value …)`. Only plain fields are shown (the logger never holds a
 * secret, a code or a full number); an error shows its message.
 */
const LEVELS: Readonly<Record<number, string>> = { 40: "warning", 50: "error", 60: "fatal" };
const SKIP = new Set(["level", "time", "pid", "hostname", "service", "msg", "err", "v"]);

export function formatLogLine(json: string): string | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trim() === "" ? null : json.trimEnd();
  }
  const level = typeof entry.level === "number" ? LEVELS[entry.level] : undefined;
  if (level === undefined) return null;
  const facts = Object.entries(entry)
    .filter(([key, value]) => !SKIP.has(key) && (typeof value === "string" || typeof value === "number" || typeof value === "boolean"))
    .map(([key, value]) => `${key}=${String(value)}`);
  const err = entry.err as { message?: unknown } | undefined;
  if (typeof err?.message === "string") facts.push(`error=${err.message}`);
  const message = typeof entry.msg === "string" ? entry.msg : "(no message)";
  return `verity: ${level}: ${message}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}`;
}

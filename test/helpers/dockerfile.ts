import { readFileSync } from "node:fs";

/** One instruction of a Dockerfile: `RUN`, `COPY`, … with its arguments as written (continuations joined). */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** The image it starts from, with `${ARG}` defaults filled in. */
  readonly from: string;
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
}

/**
 * Reads a Dockerfile into its stages, enough to check a recipe without Docker: comments and
 * line continuations as Docker reads them, and `ARG` defaults declared before the first `FROM`
 * substituted in `FROM`. No other variable expansion.
 */
export function readDockerfile(path: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of readFileSync(path, "utf8").split(/\r?\n/)) {
    if (/^\s*#/.test(raw)) continue;
    const continued = raw.endsWith("\\");
    pending += `${continued ? raw.slice(0, -1) : raw} `;
    if (continued) continue;
    if (pending.trim() !== "") logical.push(pending.trim().replace(/\s+/g, " "));
    pending = "";
  }
  const globalArgs = new Map<string, string>();
  const stages: { from: string; name: string | null; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(" ");
    const args = rest.join(" ");
    const upper = keyword.toUpperCase();
    if (upper === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      const image = (match?.[1] ?? args).replace(/\$\{?(\w+)\}?/g, (_m, name: string) => globalArgs.get(name) ?? "");
      stages.push({ from: image, name: match?.[2] ?? null, instructions: [] });
    } else if (stages.length === 0 && upper === "ARG") {
      const [name = "", value = ""] = args.split("=");
      globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args });
    }
  }
  return stages;
}

/** The exec-form (JSON array) arguments of an instruction such as `CMD ["serve", "--port", "1"]`. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
}

/** `ENV A=1 B=2` as pairs; quotes around a value are removed. */
export function envPairs(args: string): [string, string][] {
  return [...args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1] ?? "", (m[2] ?? "").replace(/^"(.*)"$/, "$1")]);
}

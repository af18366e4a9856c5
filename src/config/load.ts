import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { VerityError } from "../domain/errors.js";
import { resolveAnchorSinks } from "../adapters/anchor/anchor-config.js";
import { interpolate } from "./interpolate.js";
import { configSchema, referenceProblems, type Config } from "./schema.js";
import { configWarnings } from "./warnings.js";
import { YAML_ALIAS_PROBLEM, yamlProblem } from "./yaml-errors.js";
import type { ConfigProblem } from "./problems.js";

export { configProblems, type ConfigProblem } from "./problems.js";

export interface LoadedConfig {
  readonly config: Config;
  /** The file it came from, or `built-in demo`. */
  readonly source: string;
  readonly demo: boolean;
  /** Valid but unwise settings (a secret written in the file, a long code lifetime); never fatal. */
  readonly warnings: readonly ConfigProblem[];
}

export const DEFAULT_CONFIG_PATH = "./verity.yaml";

/** `--config` wins, then VERITY_CONFIG, then ./verity.yaml. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.VERITY_CONFIG ?? DEFAULT_CONFIG_PATH);
}

const invalid = (problems: ConfigProblem[], source: string) =>
  new VerityError("CONFIG_INVALID", {
    message: `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the configuration`,
    details: problems,
  });

/**
 * Reads, interpolates and validates a YAML configuration file. Every problem is reported at once
 * (VerityError CONFIG_INVALID, details = the problems). Paths in the file are relative to it.
 */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv): LoadedConfig {
  return parseConfig(readConfigTree(path), { env, baseDir: dirname(path), source: path, demo: false });
}

/**
 * Reads a configuration file's YAML into a plain tree, not yet interpolated or validated. A
 * syntax error is reported by code, line and column only (CONFIG_INVALID), never with text from
 * the file.
 */
export function readConfigTree(path: string): unknown {
  if (!existsSync(path)) {
    throw invalid([{ path: "(file)", message: `${path} does not exist; pass --config or set VERITY_CONFIG` }], path);
  }
  const doc = parseDocument(readFileSync(path, "utf8"), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw invalid(doc.errors.map(yamlProblem), path);
  try {
    return doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch {
    throw invalid([YAML_ALIAS_PROBLEM], path);
  }
}

/** Validates an already-parsed configuration tree (a file's content, or the built-in demo). */
export function parseConfig(
  raw: unknown,
  options: { env: NodeJS.ProcessEnv; baseDir: string; source: string; demo: boolean },
): LoadedConfig {
  const { value, problems, referenced } = interpolate(raw, options.env);
  const parsed = configSchema.safeParse(value);
  const all: ConfigProblem[] = [...problems];
  // A reference that did not resolve is reported once, not again as an empty value.
  const unresolved = new Set(problems.map((p) => p.path));
  if (!parsed.success) all.push(...parsed.error.issues.map(toProblem).filter((p) => !unresolved.has(p.path)));
  all.push(...referenceProblems(value));
  if (all.length > 0 || !parsed.success) throw invalid(dedupe(all), options.source);
  const config = resolvePaths(parsed.data, options.baseDir);
  const warnings = configWarnings(config, referenced, { demo: options.demo });
  return { config: deepFreeze(config), source: options.source, demo: options.demo, warnings: deepFreeze(warnings) };
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
    .join("");
  return { path: path === "" ? "(root)" : path, message: issue.message };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Resolves `dataDir` and `database.url` against the configuration file's folder; an absent URL
 * is SQLite in the data folder.
 */
export function resolveStorage(dataDir: string, url: string | undefined, baseDir: string): { dataDir: string; url: string } {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const folder = at(dataDir);
  const given = url ?? `sqlite:${resolve(folder, "verity.db")}`;
  return { dataDir: folder, url: given.startsWith("sqlite:") && given !== "sqlite::memory:" ? `sqlite:${at(given.slice(7))}` : given };
}

function resolvePaths(config: Config, baseDir: string): Config {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const { dataDir, url } = resolveStorage(config.dataDir, config.database.url, baseDir);
  return {
    ...config,
    dataDir,
    database: { url },
    tenants: config.tenants.map((t) => (t.directory.kind === "file" ? { ...t, directory: { ...t.directory, path: at(t.directory.path) } } : t)),
    audit: { ...config.audit, anchor: { ...config.audit.anchor, sinks: resolveAnchorSinks(config.audit.anchor.sinks, dataDir, at) } },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

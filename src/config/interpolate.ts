import { readFileSync } from "node:fs";

export interface InterpolationProblem {
  readonly path: string;
  readonly message: string;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces secret references in every string of a parsed YAML tree:
 * - `${NAME}`: the environment variable NAME, or else the file named by NAME_FILE (the
 *   container-secrets convention);
 * - `${file:/run/secrets/x}`: the file's content;
 * - `$${`: a literal `${`.
 * Trailing newlines of files are dropped. Problems are collected, never thrown, so a config
 * check can report all of them; no message contains a resolved value. `referenced` holds the
 * path of every string that held a reference, so secrets written literally can be told apart.
 */
export function interpolate(
  tree: unknown,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): { value: unknown; problems: InterpolationProblem[]; referenced: ReadonlySet<string> } {
  const problems: InterpolationProblem[] = [];
  const referenced = new Set<string>();

  const resolveOne = (ref: string, path: string): string => {
    if (ref.startsWith("file:")) return readSecretFile(ref.slice(5), path, `file ${ref.slice(5)}`);
    if (!ENV_NAME.test(ref)) {
      problems.push({ path, message: `'\${${ref.slice(0, 40)}}' is not a valid reference; use \${ENV_NAME} or \${file:/path}` });
      return "";
    }
    const direct = env[ref];
    if (direct !== undefined && direct !== "") return direct;
    const fileName = env[`${ref}_FILE`];
    if (fileName !== undefined && fileName !== "") return readSecretFile(fileName, path, `${ref}_FILE (${fileName})`);
    problems.push({ path, message: `environment variable ${ref} is not set (nor ${ref}_FILE)` });
    return "";
  };

  const readSecretFile = (file: string, path: string, label: string): string => {
    try {
      return readFile(file).replace(/\r?\n+$/, "");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push({ path, message: `cannot read ${label}: ${code}` });
      return "";
    }
  };

  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") {
      return node.replace(REFERENCE, (match: string, ref: string | undefined) => {
        if (match === "$${") return "${";
        referenced.add(path);
        return resolveOne(ref ?? "", path);
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`));
    if (node !== null && typeof node === "object") {
      const out = Object.create(null) as Record<string, unknown>;
      for (const [key, value] of Object.entries(node)) {
        out[key] = walk(value, path === "" ? key : `${path}.${key}`);
      }
      return out;
    }
    return node;
  };

  return { value: walk(tree, ""), problems, referenced };
}

import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { Writable } from "node:stream";
import type { LoadedConfig } from "../config/load.js";
import type { Runtime } from "../main.js";
import { formatLogLine } from "./log-lines.js";
import type { Actor } from "../services/actor.js";
import type { VerityClient } from "./client.js";
import { CliExit, EXIT, line, type CliIo } from "./io.js";
import { createRemoteClient } from "./remote-client.js";

export interface CommonValues {
  config?: string | undefined;
  demo?: boolean | undefined;
  server?: string | undefined;
  token?: string | undefined;
  "token-file"?: string | undefined;
}

// The configuration schema (zod) and the runtime (the store, every service) are loaded when a
// command uses them: `--help`, argument errors and commands that talk to a server never do.

/** The configuration a command runs with: --demo, else --config / VERITY_CONFIG / ./verity.yaml. */
export async function loadCliConfig(values: CommonValues, io: CliIo): Promise<LoadedConfig> {
  if (values.demo === true) return (await import("../config/demo.js")).demoConfig(io.env, io.cwd);
  const { loadConfigFile, resolveConfigPath } = await import("../config/load.js");
  return loadConfigFile(resolveConfigPath(values.config, io.env), io.env);
}

/** A runtime for commands that work on the local store; dev-channel output goes to stderr. */
export async function openLocalRuntime(values: CommonValues, io: CliIo): Promise<Runtime> {
  // The runtime's modules load while the configuration is read and checked.
  const runtimeModule = import("../main.js");
  runtimeModule.catch(() => undefined);
  const loaded = await loadCliConfig(values, io);
  const { createRuntime } = await runtimeModule;
  // Commands keep their stdout for results; operational logs go to stderr at warn and above, as
  // lines a person reads (pino writes one JSON object per line).
  const quiet = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString("utf8").split("\n")) {
        const formatted = formatLogLine(text);
        if (formatted !== null) io.stderr.write(`${formatted}\n`);
      }
      done();
    },
  });
  return createRuntime(loaded, { logDestination: quiet, print: (text) => line(io.stderr, text) });
}

/** The person at the keyboard, as recorded in the audit log (their login name is for the log only). */
export function localActor(technician: string | undefined): Actor {
  const user = safeUserName();
  return { id: `cli:${user}`, name: technician ?? `${user} (CLI)`, role: "admin", tenants: null };
}

/** The technician's name as a caller may see it: --technician, else VERITY_TECHNICIAN; never the login name. */
export function technicianName(values: { technician?: string | undefined }, io: CliIo): string | undefined {
  const name = (values.technician ?? io.env.VERITY_TECHNICIAN)?.trim();
  return name === undefined || name === "" ? undefined : name;
}

function safeUserName(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The server to talk to, or null for the local store. An explicit flag wins over the
 * environment: `--demo` or `--config` means the local store even when VERITY_SERVER is set.
 */
export function remoteTarget(values: CommonValues, io: CliIo): { server: string; token: string } | null {
  const local = values.demo === true || values.config !== undefined;
  if (local && values.server !== undefined) throw new CliExit(EXIT.usage, "Give --server or --demo/--config, not both.");
  const server = values.server ?? (local ? undefined : io.env.VERITY_SERVER);
  if (server === undefined || server === "") return null;
  if (!/^https?:\/\//.test(server)) throw new CliExit(EXIT.usage, "--server must be an http:// or https:// URL.");
  let token = values.token ?? io.env.VERITY_TOKEN;
  if (values["token-file"] !== undefined) {
    try {
      token = readFileSync(values["token-file"], "utf8").trim();
    } catch {
      throw new CliExit(EXIT.usage, `Cannot read --token-file ${values["token-file"]}.`);
    }
  }
  if (token === undefined || token === "") {
    throw new CliExit(EXIT.usage, "Talking to a server needs a token: --token-file FILE or VERITY_TOKEN.");
  }
  if (values.token !== undefined) {
    line(io.stderr, "verity: warning: --token is visible to other users of this machine; prefer --token-file or VERITY_TOKEN.");
  }
  return { server, token };
}

/** A client for verification commands: the server when one is named, else the local store. */
export async function openClient(values: CommonValues, io: CliIo, technician?: string): Promise<VerityClient> {
  const remote = remoteTarget(values, io);
  if (remote !== null) return createRemoteClient(remote.server, remote.token);
  const runtime = await openLocalRuntime(values, io);
  const actor = localActor(technician);
  const { engine } = runtime;
  return {
    start: (input) => engine.start(actor, { ...input, technician: input.technician ?? "the service desk" }),
    get: (id) => engine.get(actor, id),
    check: (id, code) => engine.check(actor, id, code),
    resend: (id) => engine.resend(actor, id),
    cancel: (id, reason) => engine.cancel(actor, id, reason),
    lookup: (query, tenant) => engine.lookup(actor, query, tenant),
    watch: (id, listener) => engine.watch(actor, id, listener, 500),
    close: () => runtime.close(),
  };
}

import type { Readable, Writable } from "node:stream";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Exit codes shared by every command (sysexits where one fits). */
export const EXIT = {
  ok: 0,
  rejected: 1,
  expired: 2,
  failure: 3,
  /** Verified, but the tenant's policy requires a second, different method before acting. */
  secondMethod: 4,
  usage: 64,
  config: 78,
  /** Ctrl-C: the verification was cancelled (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

/** The exit statuses of commands that verify a caller, for their --help. */
export const VERIFY_EXIT_HELP = `Exit status: 0 verified (and policy satisfied), 1 rejected or denied, 2 expired or timed out,
3 other failure (including a push the provider could not complete), 4 verified but policy
requires a second, different method first, 64 usage error, 78 configuration error, 130
interrupted (Ctrl-C; the verification is cancelled).`;

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Calls `handler` when the person presses Ctrl-C; returns a function that stops listening. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** Thrown to end a command with a given exit code and message (stderr). */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string, help: string): CliExit =>
  new CliExit(EXIT.usage, `${message}\n\n${help.trim()}`);

export const line = (stream: Writable, text = "") => stream.write(`${text}\n`);

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every command that touches Verity's data accepts. */
export const COMMON_OPTIONS = {
  config: { type: "string", short: "c" },
  demo: { type: "boolean" },
  server: { type: "string" },
  token: { type: "string" },
  "token-file": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export const COMMON_HELP = `
Where it runs:
  -c, --config FILE     configuration file (default: $VERITY_CONFIG or ./verity.yaml)
      --demo            use the built-in DEMO configuration (data in ./data/demo)
      --server URL      talk to a running Verity server instead of the local store
                        (or set VERITY_SERVER)
      --token-file FILE read the API token from FILE (or set VERITY_TOKEN)
      --token TOKEN     the API token itself (visible to other users in ps; prefer the above)
  -h, --help            show this help`;

/** parseArgs with usage errors turned into exit 64 and the command's help. */
export function parse<O extends Options>(argv: string[], options: O, help: string, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : "invalid arguments", help);
  }
}

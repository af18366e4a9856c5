import { configProblems } from "../config/problems.js";
import { isVerityError } from "../domain/errors.js";
import { VERSION } from "../version.js";
import { CliExit, EXIT, line, type CliIo } from "./io.js";


type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Each command loads only what it needs, so `verity verify` does not pay for the HTTP server. */
const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  serve: { load: async () => (await import("./commands/serve.js")).serveCommand, summary: "run the HTTP API" },
  demo: { load: async () => (await import("./commands/serve.js")).demoCommand, summary: "run the no-accounts DEMO (npm start)" },
  verify: { load: async () => (await import("./commands/verify.js")).verifyCommand, summary: "verify a caller (code, passcode or push)" },
  check: { load: async () => (await import("./commands/check.js")).checkCommand, summary: "finish a verification started elsewhere (a HaloPSA press)" },
  lookup: { load: async () => (await import("./commands/lookup.js")).lookupCommand, summary: "show a user's registered factors, masked" },
  audit: { load: async () => (await import("./commands/audit.js")).auditCommand, summary: "verify or export the audit log" },
  config: { load: async () => (await import("./commands/config.js")).configCommand, summary: "check the configuration" },
  token: { load: async () => (await import("./commands/token.js")).tokenCommand, summary: "create, list or revoke API tokens" },
  user: { load: async () => (await import("./commands/user.js")).userCommand, summary: "create, list, disable or enable web app accounts" },
};

export const MAIN_HELP = `
Usage: verity <command> [options]

Verity proves that a caller controls a factor registered in the organisation's directory, and
records the evidence in a tamper-evident audit log.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join("\n")}

Run \`verity <command> --help\` for a command's options. \`verity --version\` prints the version.
`;

/** Runs one CLI invocation and returns its exit status; never throws. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      line(io.stdout, MAIN_HELP.trim());
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version" || name === "-v") {
      line(io.stdout, VERSION);
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (command === undefined) {
      line(io.stderr, `verity: unknown command '${name}'.\n\n${MAIN_HELP.trim()}`);
      return EXIT.usage;
    }
    return await (await command.load())(rest, io);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof CliExit) {
    line(io.stderr, `verity: ${error.message}`);
    return error.exitCode;
  }
  const problems = configProblems(error);
  if (problems !== undefined) {
    line(io.stderr, `verity: ${error instanceof Error ? error.message : "invalid configuration"}:`);
    for (const p of problems) line(io.stderr, `  ${p.path}: ${p.message}`);
    line(io.stderr, "Run `verity config check` for the full report.");
    return EXIT.config;
  }
  if (isVerityError(error)) {
    line(io.stderr, `verity: ${error.message} (${error.code})`);
    return error.code === "DIRECTORY_INVALID" ? EXIT.config : EXIT.failure;
  }
  line(io.stderr, `verity: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.failure;
}

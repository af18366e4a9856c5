import { configProblems } from "../config/load.js";
import { isVerityError } from "../domain/errors.js";
import { VERSION } from "../http/build-app.js";
import { auditCommand, AUDIT_HELP } from "./commands/audit.js";
import { configCommand, CONFIG_HELP } from "./commands/config.js";
import { lookupCommand, LOOKUP_HELP } from "./commands/lookup.js";
import { demoCommand, DEMO_HELP, serveCommand, SERVE_HELP } from "./commands/serve.js";
import { tokenCommand, TOKEN_HELP } from "./commands/token.js";
import { verifyCommand, VERIFY_HELP } from "./commands/verify.js";
import { CliExit, EXIT, line, type CliIo } from "./io.js";

const COMMANDS: Record<string, { run: (argv: string[], io: CliIo) => Promise<number>; help: string; summary: string }> = {
  serve: { run: serveCommand, help: SERVE_HELP, summary: "run the HTTP API" },
  demo: { run: demoCommand, help: DEMO_HELP, summary: "run the no-accounts DEMO (npm start)" },
  verify: { run: verifyCommand, help: VERIFY_HELP, summary: "verify a caller (code, passcode or push)" },
  lookup: { run: lookupCommand, help: LOOKUP_HELP, summary: "show a user's registered factors, masked" },
  audit: { run: auditCommand, help: AUDIT_HELP, summary: "verify or export the audit log" },
  config: { run: configCommand, help: CONFIG_HELP, summary: "check the configuration" },
  token: { run: tokenCommand, help: TOKEN_HELP, summary: "create, list or revoke API tokens" },
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
    return await command.run(rest, io);
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

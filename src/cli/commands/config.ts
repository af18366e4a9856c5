import { relative } from "node:path";
import { anchorSinkLabel } from "../../adapters/anchor/anchor-config.js";
import { dataFolderProblems, storagePaths } from "../../config/data-folder.js";
import { configProblems, resolveConfigPath, type ConfigProblem } from "../../config/load.js";
import { destinationLabel } from "../../adapters/notify/notify-config.js";
import { DEVELOPMENT_KINDS } from "../../config/schema.js";
import { checkDirectoryFiles, checkInvalidFile } from "../config-checks.js";
import { loadCliConfig } from "../context.js";
import { EXIT, line, parse, usageError, type CliIo } from "../io.js";

export const CONFIG_HELP = `
Usage: verity config check [--config FILE | --demo]

Validates the configuration: the YAML, every setting, secret references (\${ENV} and
\${file:/path}), tenants, providers, methods, each directory file, and that this user can
create and write the data folder (dataDir) and the SQLite database. Every problem is listed
with its path, even when other settings are invalid. Secret values are never printed, nor is
text from a line with a YAML syntax error (only its line, column and error code).

Warnings (on stderr) name valid settings that weaken Verity: a secret written literally in
the file instead of \${ENV} or \${file:/path}, verification.codeTtlSeconds above 600 (NIST
SP 800-63B allows 10 minutes), verification.maxChecks above 5 (Verity's default). They do not
change the exit status; \`verity serve\` logs them once at start.

Options:
  -c, --config FILE   configuration file (default: $VERITY_CONFIG or ./verity.yaml)
      --demo          check the built-in DEMO configuration
  -h, --help          show this help

Exit status: 0 valid (warnings or not), 78 invalid, 64 usage error.
`;

export async function configCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h" || sub === undefined) {
    line(io.stdout, CONFIG_HELP.trim());
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub !== "check") throw usageError(`Unknown config command '${sub}'.`, CONFIG_HELP);
  const { values } = parse(rest, { config: { type: "string", short: "c" }, demo: { type: "boolean" }, help: { type: "boolean", short: "h" } }, CONFIG_HELP);
  if (values.help === true) {
    line(io.stdout, CONFIG_HELP.trim());
    return EXIT.ok;
  }
  const file = values.demo === true ? undefined : resolveConfigPath(values.config, io.env);
  let loaded;
  try {
    loaded = await loadCliConfig(values, io);
  } catch (error) {
    const problems = configProblems(error);
    if (problems === undefined) throw error;
    const more = file === undefined ? [] : await checkInvalidFile(file, io.env);
    return notValid(io, file ?? "built-in demo", [...problems, ...more], []);
  }
  const { config } = loaded;
  const fileDirectories = config.tenants.flatMap(({ directory }, index) =>
    directory.kind === "file" ? [{ index, path: directory.path, defaultCountry: directory.defaultCountry }] : [],
  );
  const directories = await checkDirectoryFiles(fileDirectories);
  const problems = [...dataFolderProblems(storagePaths(config)), ...directories.problems];
  if (problems.length > 0) return notValid(io, loaded.source, problems, loaded.warnings);
  line(io.stdout, `Configuration OK (${loaded.source})`);
  line(io.stdout, `Database: ${config.database.url?.startsWith("sqlite:") === true ? config.database.url : "PostgreSQL"}`);
  line(io.stdout, `Tenants:`);
  for (const [index, tenant] of config.tenants.entries()) {
    const methods = `methods ${Object.keys(tenant.methods).join(", ")}`;
    const users = directories.users.get(index);
    line(io.stdout, `  ${tenant.id} (${tenant.name}): ${users === undefined ? `${tenant.directory.kind} directory (not contacted)` : `${users} users`}; ${methods}`);
  }
  for (const [name, provider] of Object.entries(config.providers)) {
    const dev = DEVELOPMENT_KINDS.has(provider.kind);
    line(io.stdout, `Provider ${name}: ${provider.kind}${dev ? " (DEVELOPMENT ONLY: nothing reaches a real person)" : ""}`);
  }
  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.kind === "twilio" && provider.statusCallbacks && config.server.publicUrl === undefined) {
      line(io.stdout, `Note: provider ${name} wants status callbacks, but server.publicUrl is not set, so Twilio will not report deliveries.`);
    }
  }
  for (const [name, system] of Object.entries(config.ticketing)) {
    line(io.stdout, `Ticketing ${name}: ${system.kind} (trigger: POST /hooks/ticketing/${name})`);
  }
  const sinks = config.audit.anchor.sinks ?? [];
  if (sinks.length === 0) {
    line(io.stdout, "Audit anchors: off (audit.anchor.sinks is empty): a rewrite of the whole audit chain would go unnoticed.");
  } else {
    line(io.stdout, `Audit anchors: every ${config.audit.anchor.intervalSeconds} s to ${sinks.map((s) => `${s.kind} ${anchorSinkLabel(s)}`).join(", ")}`);
  }
  for (const sink of sinks) {
    if (sink.kind === "file" && !relative(config.dataDir, sink.path).startsWith("..")) {
      line(io.stdout, `Note: the anchor file ${sink.path} is in dataDir, beside the database: whoever can write one can likely write the other. For real protection point a file sink at another volume or host, or add a webhook or syslog sink.`);
    }
  }
  const destinations = [
    ...config.notifications.map((d) => `${destinationLabel(d)} (every tenant)`),
    ...config.tenants.flatMap((t) => t.notifications.map((d) => `${destinationLabel(d)} (${t.id})`)),
  ];
  if (destinations.length > 0) line(io.stdout, `Notifications: ${destinations.join("; ")}`);
  if (config.security.hashKey === undefined) {
    line(io.stdout, `Note: no security.hashKey; a random key is kept in ${config.dataDir}/hash.key (single-host SQLite only).`);
  }
  printWarnings(io, loaded.warnings);
  return EXIT.ok;
}

function notValid(io: CliIo, source: string, problems: readonly ConfigProblem[], warnings: readonly ConfigProblem[]): number {
  line(io.stderr, `Configuration is NOT valid (${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}):`);
  for (const p of problems) line(io.stderr, `  ${p.path}: ${p.message}`);
  printWarnings(io, warnings);
  return EXIT.config;
}

function printWarnings(io: CliIo, warnings: readonly ConfigProblem[]): void {
  for (const w of warnings) line(io.stderr, `Warning: ${w.path}: ${w.message}`);
}

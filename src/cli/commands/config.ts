import { relative } from "node:path";
import { anchorSinkLabel } from "../../adapters/anchor/anchor-config.js";
import { createFileDirectory } from "../../adapters/directory/file/file-directory.js";
import { configProblems } from "../../config/load.js";
import { DEVELOPMENT_KINDS } from "../../config/schema.js";
import { isVerityError } from "../../domain/errors.js";
import { loadCliConfig } from "../context.js";
import { EXIT, line, parse, usageError, type CliIo } from "../io.js";

export const CONFIG_HELP = `
Usage: verity config check [--config FILE | --demo]

Validates the configuration: the YAML, every setting, secret references (\${ENV} and
\${file:/path}), tenants, providers, methods and each directory file. Every problem is listed
with its path. Secret values are never printed.

Options:
  -c, --config FILE   configuration file (default: $VERITY_CONFIG or ./verity.yaml)
      --demo          check the built-in DEMO configuration
  -h, --help          show this help

Exit status: 0 valid, 78 invalid, 64 usage error.
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
  let loaded;
  try {
    loaded = loadCliConfig(values, io);
  } catch (error) {
    const problems = configProblems(error);
    if (problems === undefined) throw error;
    line(io.stderr, `Configuration is NOT valid (${error instanceof Error ? error.message : ""}):`);
    for (const p of problems) line(io.stderr, `  ${p.path}: ${p.message}`);
    return EXIT.config;
  }
  const { config } = loaded;
  const directoryProblems: string[] = [];
  const tenantLines: string[] = [];
  for (const [i, tenant] of config.tenants.entries()) {
    if (tenant.directory.kind !== "file") {
      tenantLines.push(`  ${tenant.id} (${tenant.name}): ${tenant.directory.kind} directory (not contacted); methods ${Object.keys(tenant.methods).join(", ")}`);
      continue;
    }
    try {
      const count = await createFileDirectory(tenant.directory).load();
      tenantLines.push(`  ${tenant.id} (${tenant.name}): ${count} users; methods ${Object.keys(tenant.methods).join(", ")}`);
    } catch (error) {
      const details = isVerityError(error) && Array.isArray(error.details) ? (error.details as { path: string; message: string }[]) : [];
      if (details.length === 0) directoryProblems.push(`tenants[${i}].directory: ${error instanceof Error ? error.message : "invalid"}`);
      for (const d of details) directoryProblems.push(`tenants[${i}].directory ${d.path}: ${d.message}`);
    }
  }
  if (directoryProblems.length > 0) {
    line(io.stderr, `Configuration is NOT valid (${loaded.source}):`);
    for (const p of directoryProblems) line(io.stderr, `  ${p}`);
    return EXIT.config;
  }
  line(io.stdout, `Configuration OK (${loaded.source})`);
  line(io.stdout, `Database: ${config.database.url?.startsWith("sqlite:") === true ? config.database.url : "PostgreSQL"}`);
  line(io.stdout, `Tenants:`);
  for (const t of tenantLines) line(io.stdout, t);
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
    line(io.stdout, `Ticketing ${name}: ${system.kind} (webhook: POST /hooks/${system.kind}${Object.keys(config.ticketing).length > 1 ? `/i/${name}` : ""})`);
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
  if (config.security.hashKey === undefined) {
    line(io.stdout, `Note: no security.hashKey; a random key is kept in ${config.dataDir}/hash.key (single-host SQLite only).`);
  }
  return EXIT.ok;
}

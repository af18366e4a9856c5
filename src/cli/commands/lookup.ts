import { openClient } from "../context.js";
import { COMMON_HELP, COMMON_OPTIONS, EXIT, line, parse, usageError, type CliIo } from "../io.js";

export const LOOKUP_HELP = `
Usage: verity lookup USER [--tenant ID] [--json]

Shows what Verity knows of a caller's account: registered factors (masked), which methods can
reach them, and the risk signals the tenant's policy weighs.

Options:
      --tenant ID   the client organisation (default: from the user's email domain)
      --json        print JSON
${COMMON_HELP}
`;

export async function lookupCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { ...COMMON_OPTIONS, tenant: { type: "string" }, json: { type: "boolean" } }, LOOKUP_HELP, true);
  if (values.help === true) {
    line(io.stdout, LOOKUP_HELP.trim());
    return EXIT.ok;
  }
  const [query, ...extra] = positionals;
  if (query === undefined || extra.length > 0) throw usageError("Give exactly one user.", LOOKUP_HELP);
  const client = await openClient(values, io);
  try {
    const view = await client.lookup(query, values.tenant);
    if (values.json === true) {
      line(io.stdout, JSON.stringify(view, null, 2));
      return EXIT.ok;
    }
    line(io.stdout, `${view.user.displayName} (${view.user.id}) · ${view.tenant.name}${view.user.privileged ? " · PRIVILEGED" : ""}`);
    line(io.stdout, `UPN: ${view.user.upn}`);
    line(io.stdout, "Registered factors:");
    if (view.factors.length === 0) line(io.stdout, "  (none)");
    for (const f of view.factors) line(io.stdout, `  ${f.type.padEnd(16)} ${f.destination}${f.note === null ? "" : `  (${f.note})`}`);
    line(io.stdout, "Methods:");
    for (const m of view.methods) {
      const how = m.destination === null ? m.detail : `${m.destination} (${m.detail})`;
      line(io.stdout, `  ${m.method.padEnd(20)} ${m.available ? "yes" : "no "}  ${how}`);
    }
    line(io.stdout, `Policy: ${view.risk.decision.replace("_", " ")}`);
    for (const s of view.risk.signals) line(io.stdout, `  ${s.code}: ${s.detail} -> ${s.action.replace("_", " ")}`);
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

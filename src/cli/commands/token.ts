import { ROLES, type Role } from "../../store/token-dal.js";
import { localActor, openLocalRuntime } from "../context.js";
import { EXIT, line, parse, usageError, type CliIo } from "../io.js";

export const TOKEN_HELP = `
Usage: verity token create --name NAME --role admin|technician|verifier|auditor [--tenant ID ...]
       verity token list
       verity token revoke (--name NAME | --id ID)

API tokens for the HTTP API and for the CLI's --server mode. A new token is printed once; only
its hash is stored. Roles: admin (everything, and integrations that name the agent),
technician (start and complete their own verifications, look users up), verifier (the same,
and never sees anyone else's history), auditor (read verifications and the audit log). --tenant limits a token to tenants (repeatable).
These commands work on the local store (run them where Verity's database is).

Options:
      --name NAME    a label, e.g. the technician's name or the integration
      --role ROLE    admin, technician, verifier or auditor
      --tenant ID    restrict to this tenant (repeat for several)
      --id ID        the token id (revoke)
  -c, --config FILE  configuration file (default: $VERITY_CONFIG or ./verity.yaml)
      --demo         use the built-in DEMO configuration
  -h, --help         show this help
`;

export async function tokenCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    line(io.stdout, TOKEN_HELP.trim());
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub !== "create" && sub !== "list" && sub !== "revoke") throw usageError(`Unknown token command '${sub}'.`, TOKEN_HELP);
  const { values } = parse(
    rest,
    {
      config: { type: "string", short: "c" },
      demo: { type: "boolean" },
      name: { type: "string" },
      role: { type: "string" },
      tenant: { type: "string", multiple: true },
      id: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    TOKEN_HELP,
  );
  if (values.help === true) {
    line(io.stdout, TOKEN_HELP.trim());
    return EXIT.ok;
  }
  if (sub === "create") {
    if (values.name === undefined) throw usageError("--name is required.", TOKEN_HELP);
    if (values.role === undefined || !(ROLES as readonly string[]).includes(values.role)) {
      throw usageError("--role must be admin, technician, verifier or auditor.", TOKEN_HELP);
    }
  }
  if (sub === "revoke" && (values.name === undefined) === (values.id === undefined)) {
    throw usageError("Give --name or --id (one of them).", TOKEN_HELP);
  }
  const runtime = await openLocalRuntime(values, io);
  try {
    const actor = localActor(undefined);
    if (sub === "create") {
      const tenants = values.tenant ?? null;
      for (const t of tenants ?? []) {
        if (runtime.tenants.get(t) === undefined) throw usageError(`No tenant has the id '${t}'.`, TOKEN_HELP);
      }
      const { token, info } = await runtime.tokens.create({ name: values.name ?? "", role: values.role as Role, tenants }, actor);
      line(io.stdout, token);
      line(io.stderr, `Created ${info.role} token '${info.name}' (id ${info.id}). It is shown only now; store it securely.`);
      return EXIT.ok;
    }
    if (sub === "list") {
      for (const t of await runtime.tokens.list()) {
        const state = t.revokedAt === null ? "active" : `revoked ${t.revokedAt}`;
        line(io.stdout, `${t.id}  ${t.role.padEnd(10)} ${t.name}  tenants=${t.tenants?.join(",") ?? "*"}  ${state}  last used ${t.lastUsedAt ?? "never"}`);
      }
      return EXIT.ok;
    }
    const count = await runtime.tokens.revoke(values.id === undefined ? { name: values.name ?? "" } : { id: values.id }, actor);
    line(io.stdout, `Revoked ${count} token${count === 1 ? "" : "s"}.`);
    return count > 0 ? EXIT.ok : EXIT.failure;
  } finally {
    await runtime.close();
  }
}

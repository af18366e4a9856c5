import { renderUnicodeCompact } from "uqr";
import { ROLES, type Role } from "../../domain/roles.js";
import type { Runtime } from "../../main.js";
import type { TotpEnrolment } from "../../services/web-users.js";
import type { WebUser } from "../../store/user-dal.js";
import { localActor, openLocalRuntime } from "../context.js";
import { CliExit, EXIT, line, parse, usageError, type CliIo } from "../io.js";
import { newPassword } from "../password-input.js";

export const USER_HELP = `
Usage: verity user create --username U --name "Full Name" --role ROLE [--tenant ID ...] [--password-file F]
       verity user list
       verity user disable (--username U | --id ID)
       verity user enable (--username U | --id ID)
       verity user reset-totp --username U

Accounts for the web app on installs without single sign-on. A Verity account signs in with
its password and a code from an authenticator app (TOTP); five wrong sign-ins in a row lock it
for 15 minutes.

create      makes a local account. The password comes from --password-file (its first line),
            or is asked for twice without echo on a terminal, or is read from standard input
            (its first line); never from the command line. It needs 12 to 200 characters.
            Prints the authenticator enrolment once: a QR code (drawn for a dark terminal),
            the otpauth:// URI and the secret to type in instead.
list        every account, local and SSO: id, username or provider, role, tenants, state and
            last sign-in.
disable     stops an account signing in and ends its sessions at once.
enable      lets it sign in again (and lifts a lockout).
reset-totp  gives a local account a new authenticator secret, printed once like create's; the
            old one stops working and the account's sessions end.
Every change is recorded in the audit log. These commands work on the local store (run them
where Verity's database is).

Options:
      --username U        the sign-in name: 2-64 lower-case letters, digits or . _ @ -
      --name NAME         the person's full name, as pages show it
      --role ROLE         admin, technician, verifier or auditor
      --tenant ID         only these tenants (repeat for several; default: every tenant)
      --password-file F   read the new password from F
      --id ID             the account id from \`verity user list\` (SSO accounts have no username)
  -c, --config FILE       configuration file (default: $VERITY_CONFIG or ./verity.yaml)
      --demo              use the built-in DEMO configuration
  -h, --help              show this help
`;

const SUBCOMMANDS = ["create", "list", "disable", "enable", "reset-totp"] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const OPTIONS = {
  config: { type: "string", short: "c" },
  demo: { type: "boolean" },
  username: { type: "string" },
  name: { type: "string" },
  role: { type: "string" },
  tenant: { type: "string", multiple: true },
  "password-file": { type: "string" },
  id: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

export async function userCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    line(io.stdout, USER_HELP.trim());
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw usageError(`Unknown user command '${sub}'.`, USER_HELP);
  if (rest.some((arg) => arg === "--password" || arg.startsWith("--password="))) {
    throw usageError("A password is never taken on the command line (other users of this machine can see it): use --password-file, or type it when asked.", USER_HELP);
  }
  const { values } = parse(rest, OPTIONS, USER_HELP);
  if (values.help === true) {
    line(io.stdout, USER_HELP.trim());
    return EXIT.ok;
  }
  checkUsage(sub as Sub, values);
  const password = sub === "create" ? await newPassword({ file: values["password-file"], input: io.stdin, prompts: io.stderr }) : "";
  const runtime = await openLocalRuntime(values, io);
  try {
    return await runSub(sub as Sub, values, password, runtime, io);
  } finally {
    await runtime.close();
  }
}

function checkUsage(sub: Sub, values: Values): void {
  if (sub === "create") {
    if (values.username === undefined) throw usageError("--username is required.", USER_HELP);
    if (values.name === undefined) throw usageError("--name is required.", USER_HELP);
    if (values.role === undefined || !(ROLES as readonly string[]).includes(values.role)) {
      throw usageError("--role must be admin, technician, verifier or auditor.", USER_HELP);
    }
  }
  if ((sub === "disable" || sub === "enable") && (values.username === undefined) === (values.id === undefined)) {
    throw usageError("Give --username or --id (one of them).", USER_HELP);
  }
  if (sub === "reset-totp" && values.username === undefined) throw usageError("--username is required.", USER_HELP);
}

async function runSub(sub: Sub, values: Values, password: string, runtime: Runtime, io: CliIo): Promise<number> {
  const actor = localActor(undefined);
  const users = runtime.webUsers;
  if (sub === "list") {
    for (const u of await users.list()) line(io.stdout, describe(u));
    return EXIT.ok;
  }
  if (sub === "create") {
    const tenants = values.tenant ?? null;
    for (const t of tenants ?? []) {
      if (runtime.tenants.get(t) === undefined) throw usageError(`No tenant has the id '${t}'.`, USER_HELP);
    }
    const { user, totp } = await users.createLocal(
      { username: values.username ?? "", displayName: values.name ?? "", role: values.role as Role, tenants, password },
      actor,
    );
    line(io.stderr, `Created ${user.role} account '${user.username ?? ""}' (${user.displayName}, id ${user.id}).`);
    printEnrolment(io, totp);
    return EXIT.ok;
  }
  const target = values.id !== undefined ? await users.get(values.id) : await users.findLocal(values.username ?? "");
  if (target === undefined) throw new CliExit(EXIT.failure, `No Verity account ${values.id === undefined ? `has the username '${values.username ?? ""}'` : `has the id '${values.id}'`}.`);
  if (sub === "reset-totp") {
    const { totp } = await users.resetTotp(target.id, actor);
    line(io.stderr, `New authenticator secret for '${target.username ?? ""}'; the old one no longer works and the account's sessions have ended.`);
    printEnrolment(io, totp);
    return EXIT.ok;
  }
  const changed = await users.setDisabled(target.id, sub === "disable", actor);
  line(io.stdout, sub === "disable" ? `Disabled ${nameOf(changed)}; their sessions have ended.` : `Enabled ${nameOf(changed)}.`);
  return EXIT.ok;
}

const nameOf = (u: WebUser) => (u.username !== null ? `'${u.username}'` : `${u.displayName} (${u.provider ?? "sso"})`);

function describe(u: WebUser): string {
  const account = u.kind === "local" ? (u.username ?? "") : `sso:${u.provider ?? "?"}`;
  const state = u.disabledAt === null ? "active" : `disabled ${u.disabledAt}`;
  return `${u.id}  ${account}  ${u.role.padEnd(10)} ${u.displayName}  tenants=${u.tenants?.join(",") ?? "*"}  ${state}  last sign-in ${u.lastSigninAt ?? "never"}`;
}

/** The enrolment, printed once: the QR code, the URI and the secret (grouped for typing). */
function printEnrolment(io: CliIo, totp: TotpEnrolment): void {
  line(io.stderr, "Scan this into the authenticator app now; it is shown only once:");
  line(io.stdout);
  line(io.stdout, renderUnicodeCompact(totp.uri, { border: 2 }));
  line(io.stdout);
  line(io.stdout, `URI:    ${totp.uri}`);
  line(io.stdout, `Secret: ${totp.secret.replace(/(.{4})(?=.)/g, "$1 ")}`);
}

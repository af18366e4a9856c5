import { isVerityError } from "../../domain/errors.js";
import { isCallerPageKind } from "../../domain/methods.js";
import type { StartInput } from "../../services/start-verification.js";
import type { VerificationView } from "../../services/views.js";
import { awaitCode, awaitPush, describeStart, reportFinal } from "../await-verification.js";
import type { VerityClient } from "../client.js";
import { openClient, remoteTarget, technicianName } from "../context.js";
import { COMMON_HELP, COMMON_OPTIONS, EXIT, line, parse, usageError, VERIFY_EXIT_HELP, type CliIo } from "../io.js";

export const VERIFY_HELP = `
Usage: verity verify --user USER --method METHOD [options]

Proves that the caller controls a factor registered for USER in the directory.
For code methods (sms, email) Verity sends a one-time code and asks you for the code the caller
reads back; for *-passcode methods you type the code from the caller's token or app; for *-push
methods it waits for the caller to answer the prompt, printing pushpoll's lines (Push Initiated
for USER, Waiting for response... every 3 seconds, SUCCESS! Push Accepted by USER or Push Denied
by USER).

Options:
  -u, --user USER         directory id, UPN, email, on-premises account name (sAMAccountName)
                          or provider user id (such as a VIP user id) of the caller (required)
      --method METHOD     sms, email, <provider>-push or <provider>-passcode (required)
  -m, --message TEXT      push methods: the prompt's text, where the configuration allows
                          custom push text (verification.allowCustomPushText); otherwise the
                          organisation's wording is used and a warning says so
  -t, --title TEXT        push methods: the prompt's title (same rule as --message)
      --ticket REF        the PSA ticket this call belongs to (the PSA must confirm it is the
                          caller's before any note is posted to it)
      --ticket-system NAME the ticketing system the ticket is in (its name under
                          ticketing: in the configuration; default: the tenant's first)
      --reason TEXT       why the caller is being verified (recorded in the audit log only)
      --override-fraud-flag
                          admins: verify a caller who reported fraud in the last 24 hours
                          (refused without it; the override is audited)
      --tenant ID         the client organisation (default: from the user's email domain)
      --technician NAME   your name as the caller should see it; on the local store, or set
                          VERITY_TECHNICIAN (with --server, your token's name is used)
      --timeout SECONDS   give up after this long (default: when the verification expires)
      --json              print the final verification as JSON
${COMMON_HELP}

While a code is awaited you can also type "resend" (new code, old one stops working) or
"cancel". Ctrl-C or the end of input cancels the verification, so its code stops working.

${VERIFY_EXIT_HELP}
`;

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...COMMON_OPTIONS,
      user: { type: "string", short: "u" },
      method: { type: "string" },
      ticket: { type: "string" },
      "ticket-system": { type: "string" },
      "override-fraud-flag": { type: "boolean" },
      reason: { type: "string" },
      tenant: { type: "string" },
      technician: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      message: { type: "string", short: "m" },
      title: { type: "string", short: "t" },
    },
    VERIFY_HELP,
  );
  if (values.help === true) {
    line(io.stdout, VERIFY_HELP.trim());
    return EXIT.ok;
  }
  if (values.user === undefined) throw usageError("--user is required.", VERIFY_HELP);
  if (values.method === undefined) throw usageError("--method is required.", VERIFY_HELP);
  const timeoutSeconds = parseTimeout(values.timeout, VERIFY_HELP);
  const technician = technicianName(values, io);
  if (remoteTarget(values, io) === null && technician === undefined && values.method.endsWith("-push")) {
    throw usageError(
      "A push shows the caller who is asking: pass --technician NAME or set VERITY_TECHNICIAN (your login name is never shown to a caller).",
      VERIFY_HELP,
    );
  }
  const client = await openClient(values, io, technician);
  try {
    const input: StartInput = {
      user: values.user,
      method: values.method,
      tenant: values.tenant,
      ticket: values.ticket ?? null,
      ticketSystem: values["ticket-system"] ?? null,
      ...(values["override-fraud-flag"] === true ? { overrideFraudFlag: true } : {}),
      reason: values.reason ?? null,
      technician,
      ...(values.title === undefined ? {} : { pushTitle: values.title }),
      ...(values.message === undefined ? {} : { pushMessage: values.message }),
    };
    const started = await startWithWording(client, io, input);
    const deadline = Math.min(
      Date.parse(started.expiresAt) + 2000,
      timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutSeconds * 1000,
    );
    describeStart(io, started, values.user);
    const result = started.methodKind === "push" || isCallerPageKind(started.methodKind) ? await awaitPush(client, io, started, deadline) : await awaitCode(client, io, started, deadline);
    if (values.json === true) line(io.stdout, JSON.stringify(result.view, null, 2));
    return reportFinal(io, result, values.user);
  } finally {
    await client.close();
  }
}

/**
 * Starts the verification; where custom push text is turned off, says so and starts it with the
 * organisation's wording instead (a pushpoll script passing -t and -m keeps working).
 */
async function startWithWording(client: VerityClient, io: CliIo, input: StartInput): Promise<VerificationView> {
  try {
    return await client.start(input);
  } catch (error) {
    if (!(isVerityError(error) && error.code === "CUSTOM_TEXT_NOT_ALLOWED")) throw error;
    line(io.stderr, "verity: warning: custom push text is turned off here (verification.allowCustomPushText); the organisation's own wording is used.");
    const { pushTitle: _title, pushMessage: _message, ...rest } = input;
    return client.start(rest);
  }
}

export function parseTimeout(value: string | undefined, help: string): number | undefined {
  const timeoutSeconds = value === undefined ? undefined : Number(value);
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0 && timeoutSeconds <= 3600)) {
    throw usageError("--timeout must be a whole number of seconds from 1 to 3600.", help);
  }
  return timeoutSeconds;
}

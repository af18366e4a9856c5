import { awaitCode, awaitPush, describeStart, reportFinal } from "../await-verification.js";
import { isCallerPageKind } from "../../domain/methods.js";
import { openClient, technicianName } from "../context.js";
import { COMMON_HELP, COMMON_OPTIONS, EXIT, line, parse, usageError, VERIFY_EXIT_HELP, type CliIo } from "../io.js";
import { parseTimeout } from "./verify.js";

export const CHECK_HELP = `
Usage: verity check ID [--timeout SECONDS] [--json]

Finishes a verification that was started elsewhere (a HaloPSA "Verify User" press, the API or
another terminal): for a code or passcode it asks for the code the caller reads back, for a
push it waits for the caller's answer. ID is the verification id (in the ticket note's link,
the API's answers and \`verity verify --json\`).

Options:
      --technician NAME   your name, recorded with the check (on the local store; or set
                          VERITY_TECHNICIAN)
      --timeout SECONDS   give up after this long (default: when the verification expires)
      --json              print the final verification as JSON
${COMMON_HELP}

Type "resend" or "cancel" at the prompt as in \`verity verify\`; Ctrl-C or the end of input
cancels the verification.

${VERIFY_EXIT_HELP}
`;

export async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...COMMON_OPTIONS, technician: { type: "string" }, timeout: { type: "string" }, json: { type: "boolean" } },
    CHECK_HELP,
    true,
  );
  if (values.help === true) {
    line(io.stdout, CHECK_HELP.trim());
    return EXIT.ok;
  }
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw usageError("Give exactly one verification id.", CHECK_HELP);
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw usageError(`'${id.slice(0, 40)}' is not a verification id.`, CHECK_HELP);
  const timeoutSeconds = parseTimeout(values.timeout, CHECK_HELP);
  const client = await openClient(values, io, technicianName(values, io));
  try {
    const current = await client.get(id);
    const user = current.subject.displayName;
    const deadline = Math.min(
      Date.parse(current.expiresAt) + 2000,
      timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutSeconds * 1000,
    );
    if (!current.final) describeStart(io, current, user, true);
    const result = current.final
      ? { view: current, interrupted: false }
      : current.methodKind === "push" || isCallerPageKind(current.methodKind)
        ? await awaitPush(client, io, current, deadline)
        : await awaitCode(client, io, current, deadline);
    if (values.json === true) line(io.stdout, JSON.stringify(result.view, null, 2));
    return reportFinal(io, result, user);
  } finally {
    await client.close();
  }
}

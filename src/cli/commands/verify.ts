import { isVerityError } from "../../domain/errors.js";
import type { VerificationView } from "../../services/views.js";
import type { VerityClient } from "../client.js";
import { openClient } from "../context.js";
import { CliExit, COMMON_HELP, COMMON_OPTIONS, EXIT, line, parse, usageError, type CliIo } from "../io.js";
import { lineReader } from "../prompt.js";

export const VERIFY_HELP = `
Usage: verity verify --user USER --method METHOD [options]

Proves that the caller controls a factor registered for USER in the directory.
For code methods (sms, email) Verity sends a one-time code and asks you for the code the caller
reads back; for *-passcode methods you type the code from the caller's token or app; for *-push
methods it waits for the caller to answer the prompt.

Options:
  -u, --user USER         directory id, UPN or email of the caller's account (required)
      --method METHOD     sms, email, <provider>-push or <provider>-passcode (required)
  -m, --message TEXT      push methods: the prompt's text (default: the tenant's wording, which
                          names the organisation, you and the ticket)
  -t, --title TEXT        push methods: the prompt's title
      --ticket REF        the PSA ticket this call belongs to
      --reason TEXT       why the caller is being verified (recorded in the audit log)
      --tenant ID         the client organisation (default: from the user's email domain)
      --technician NAME   your name as the caller should hear it (default: your login name)
      --timeout SECONDS   give up after this long (default: when the verification expires)
      --json              print the final verification as JSON
${COMMON_HELP}

While a code is awaited you can also type "resend" (new code, old one stops working) or
"cancel".

Exit status: 0 verified, 1 rejected or denied, 2 expired or timed out, 3 other failure
(including a push the provider could not complete), 64 usage error, 78 configuration error.
`;

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...COMMON_OPTIONS,
      user: { type: "string", short: "u" },
      method: { type: "string" },
      ticket: { type: "string" },
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
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0 && timeoutSeconds <= 3600)) {
    throw usageError("--timeout must be a whole number of seconds from 1 to 3600.", VERIFY_HELP);
  }
  const client = await openClient(values, io, values.technician);
  try {
    const started = await client.start({
      user: values.user,
      method: values.method,
      tenant: values.tenant,
      ticket: values.ticket ?? null,
      reason: values.reason ?? null,
      technician: values.technician,
      ...(values.title === undefined ? {} : { pushTitle: values.title }),
      ...(values.message === undefined ? {} : { pushMessage: values.message }),
    });
    const deadline = Math.min(
      Date.parse(started.expiresAt) + 2000,
      timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutSeconds * 1000,
    );
    describeStart(io, started, values.user);
    const final = started.methodKind === "push" ? await awaitPush(client, io, started, deadline) : await awaitCode(client, io, started, deadline);
    if (values.json === true) line(io.stdout, JSON.stringify(final, null, 2));
    return reportFinal(io, final, values.user);
  } finally {
    await client.close();
  }
}

/** What the caller holds for each provider, as they would call it. */
const APPS: Record<string, string> = {
  vip: "VIP Access app or token",
  duo: "Duo Mobile app or token",
  okta: "Okta Verify app",
  entra: "Microsoft Authenticator app",
  simulated: "demo authenticator",
};
const appOf = (method: string) => APPS[method.replace(/-(push|passcode)$/, "")] ?? `${method.replace(/-(push|passcode)$/, "")} app or token`;

function describeStart(io: CliIo, v: VerificationView, user: string): void {
  const demo = v.developmentOnly ? " [DEMO: development-only channel, nothing is really sent]" : "";
  const risks = () => {
    for (const signal of v.risk.signals) line(io.stdout, `Risk: ${signal.detail} (policy: ${signal.action.replace("_", " ")})`);
  };
  if (v.methodKind === "push") {
    // pushpoll's first line comes first; the risks follow it.
    if (v.state !== "failed") line(io.stdout, `Push initiated for ${user}${demo}`);
    risks();
    if (v.state === "failed") return;
    if (v.challenge !== null) line(io.stdout, `Read this number to the caller: ${v.challenge} (they choose or type it in their app).`);
    line(io.stdout, "Waiting for response...");
    return;
  }
  risks();
  if (v.methodKind === "passcode") {
    line(io.stdout, `Ask ${v.subject.displayName} for the code their ${appOf(v.method)} shows now.${demo}`);
    return;
  }
  if (v.state === "sent") line(io.stdout, `Code sent by ${v.method.toUpperCase()} to ${v.destination ?? "?"} for ${v.subject.displayName}.${demo}`);
  if (v.state === "delivery_unknown") {
    line(io.stdout, `The provider did not confirm the send to ${v.destination ?? "?"}. If the caller has no code, type "resend".`);
  }
}

async function awaitPush(client: VerityClient, io: CliIo, started: VerificationView, deadline: number): Promise<VerificationView> {
  if (started.final) return started;
  let stop = () => {};
  const final = await new Promise<VerificationView>((resolve) => {
    const timer = setTimeout(() => resolve(started), Math.max(0, deadline - Date.now()));
    void client
      .watch(started.id, (view) => {
        if (view.final) {
          clearTimeout(timer);
          resolve(view);
        }
      })
      .then((unsubscribe) => {
        stop = unsubscribe;
      });
  });
  stop();
  if (final.final) return final;
  return client.cancel(started.id, "timed out waiting in the CLI").catch(() => ({ ...started, state: "expired" as const, final: true }));
}

async function awaitCode(client: VerityClient, io: CliIo, started: VerificationView, deadline: number): Promise<VerificationView> {
  let current = started;
  const reader = lineReader(io.stdin);
  try {
    while (!current.final) {
      io.stdout.write("Code read back by the caller (or resend / cancel): ");
      const input = await Promise.race([
        reader.next(),
        new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now())).unref()),
      ]);
      if (input === "timeout") {
        line(io.stdout);
        return await client.cancel(current.id, "timed out waiting in the CLI").catch(() => client.get(current.id));
      }
      if (input === null) throw new CliExit(EXIT.failure, "No code was entered (end of input).");
      const command = input.trim().toLowerCase();
      if (command === "") continue;
      if (command === "cancel") return await client.cancel(current.id, "cancelled in the CLI");
      if (command === "resend") {
        current = await client.resend(current.id);
        line(io.stdout, current.state === "sent" ? `New code sent to ${current.destination ?? "?"}; the old one no longer works.` : `Resend: ${current.state}.`);
        continue;
      }
      try {
        const result = await client.check(current.id, input);
        current = result.verification;
        if (result.outcome === "incorrect") {
          line(io.stdout, `That code is not right. ${result.attemptsRemaining} check${result.attemptsRemaining === 1 ? "" : "s"} left.`);
        }
      } catch (error) {
        if (isVerityError(error) && error.code === "INVALID_CODE_FORMAT") {
          line(io.stdout, `${error.message} (no check was used)`);
          continue;
        }
        if (isVerityError(error) && error.status === 409) return await client.get(current.id);
        throw error;
      }
    }
    return current;
  } finally {
    reader.close();
  }
}

function reportFinal(io: CliIo, v: VerificationView, user: string): number {
  const who = v.subject.displayName;
  switch (v.state) {
    case "verified": {
      if (v.methodKind === "push") line(io.stdout, `SUCCESS! Push accepted by ${user}`);
      else if (v.methodKind === "passcode") line(io.stdout, `VERIFIED: ${who} read the current code from their ${appOf(v.method)}.`);
      else line(io.stdout, `VERIFIED: ${who} proved possession of ${v.destination ?? `their ${v.method} factor`}.`);
      if (v.secondMethod !== null && v.secondMethod.satisfiedBy === null) {
        line(io.stdout, "Policy requires a second, different method for this user before acting on the request.");
      }
      return EXIT.ok;
    }
    case "rejected":
      if (v.methodKind === "push") line(io.stdout, v.stateReason === "fraud" ? `Push denied by ${user}: reported as FRAUD` : `Push denied by ${user}`);
      else line(io.stdout, `REJECTED: ${v.stateReason === "too_many_attempts" ? "too many incorrect codes" : (v.stateReason ?? "rejected")}.`);
      return EXIT.rejected;
    case "expired":
      line(io.stdout, v.methodKind === "push" ? `No response from ${user} (timed out)` : "EXPIRED: the code was not confirmed in time.");
      return EXIT.expired;
    case "cancelled": {
      const timedOut = v.stateReason?.startsWith("timed out") === true;
      if (!timedOut) line(io.stdout, "CANCELLED.");
      else line(io.stdout, v.methodKind === "push" ? `No response from ${user} (timed out)` : "TIMED OUT: no code was confirmed in time.");
      return timedOut ? EXIT.expired : EXIT.failure;
    }
    default: {
      // A failure is nobody's answer: say what went wrong, never "denied".
      const reason = (v.stateReason ?? v.state).replace(/\.$/, "");
      line(io.stdout, v.methodKind === "push" ? `Push to ${user} failed: ${reason}.` : `FAILED: ${reason}.`);
      return EXIT.failure;
    }
  }
}

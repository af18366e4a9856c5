import { isVerityError } from "../domain/errors.js";
import { CALLER_PAGE_WORDS, isCallerPageKind } from "../domain/methods.js";
import type { VerificationView } from "../services/views.js";
import type { VerityClient } from "./client.js";
import { EXIT, line, type CliIo } from "./io.js";
import { lineReader } from "./prompt.js";

/** pushpoll printed "Waiting for response..." at each of its 3-second polls; scripts may count on it. */
const WAIT_LINE_MS = 3000;

/** What the caller holds for each provider, as they would call it. */
const APPS: Record<string, string> = {
  vip: "VIP Access app or token",
  duo: "Duo Mobile app or token",
  okta: "Okta Verify app",
  entra: "Microsoft Authenticator app",
  simulated: "demo authenticator",
};
export const appOf = (method: string) => APPS[method.replace(/-(push|passcode)$/, "")] ?? `${method.replace(/-(push|passcode)$/, "")} app or token`;

/** How a wait ended: the verification as it stands, or the person interrupting it (Ctrl-C). */
export type WaitResult = { readonly view: VerificationView; readonly interrupted: boolean };

/** Resolves when the person presses Ctrl-C (never, where the CLI cannot be interrupted). */
function interruption(io: CliIo): { promise: Promise<"interrupt">; dispose(): void } {
  let dispose = () => {};
  const promise = new Promise<"interrupt">((resolve) => {
    dispose = io.onInterrupt?.(() => resolve("interrupt")) ?? (() => {});
  });
  return { promise, dispose };
}

/** Ends a verification nobody will finish: its code stops working at once, and the cancel is audited. */
async function abandon(client: VerityClient, v: VerificationView, reason: string): Promise<VerificationView> {
  return client.cancel(v.id, reason).catch(() => client.get(v.id).catch(() => v));
}

/** What the technician needs to know now; `resumed` when finishing one started elsewhere. */
export function describeStart(io: CliIo, v: VerificationView, user: string, resumed = false): void {
  const demo = v.developmentOnly ? " [DEMO: development-only channel, nothing is really sent]" : "";
  const risks = () => {
    for (const signal of v.risk.signals) line(io.stdout, `Risk: ${signal.detail} (policy: ${signal.action.replace("_", " ")})`);
  };
  if (v.methodKind === "push") {
    // pushpoll's first line comes first; the risks follow it.
    if (v.state !== "failed") line(io.stdout, resumed ? `Waiting for ${user} to answer the push sent at ${v.updatedAt}.${demo}` : `Push Initiated for ${user}${demo}`);
    risks();
    if (v.state === "failed") return;
    if (v.challenge !== null) line(io.stdout, `Read this number to the caller: ${v.challenge} (they choose or type it in their app).`);
    return;
  }
  risks();
  if (isCallerPageKind(v.methodKind)) {
    const words = CALLER_PAGE_WORDS[v.methodKind];
    if (v.state === "sent") {
      line(
        io.stdout,
        v.methodKind === "link"
          ? `Confirmation link sent by ${v.method === "email-link" ? "email" : "SMS"} to ${v.destination ?? "?"} for ${v.subject.displayName}.${demo}`
          : `${words.waiting(v.subject.displayName, v.destination ?? "?")}${demo}`,
      );
    }
    if (v.state === "delivery_unknown") line(io.stdout, `The provider did not confirm the send to ${v.destination ?? "?"}; start again if the caller has no ${words.noun}.`);
    if (v.challenge !== null) line(io.stdout, `Read this number to the caller: ${v.challenge} (they pick it on the page the link opens).`);
    if (v.state === "pending" && v.stateReason !== null) line(io.stdout, `Waiting: ${v.stateReason}`);
    return;
  }
  if (v.methodKind === "passcode") {
    line(io.stdout, `Ask ${v.subject.displayName} for the code their ${appOf(v.method)} shows now.${demo}`);
    return;
  }
  if (v.state === "sent") line(io.stdout, `Code sent by ${v.method.toUpperCase()} to ${v.destination ?? "?"} for ${v.subject.displayName}.${demo}`);
  if (v.state === "delivery_unknown") {
    line(io.stdout, `The provider did not confirm the send to ${v.destination ?? "?"}. If the caller has no code, type "resend".`);
  }
  if (v.state === "pending" && v.stateReason !== null) line(io.stdout, `Waiting: ${v.stateReason}`);
}

/** Waits for a push's answer, printing pushpoll's wait line every 3 s; cancels it on timeout or Ctrl-C. */
export async function awaitPush(client: VerityClient, io: CliIo, started: VerificationView, deadline: number): Promise<WaitResult> {
  if (started.final) return { view: started, interrupted: false };
  line(io.stdout, "Waiting for response...");
  const ticker = setInterval(() => line(io.stdout, "Waiting for response..."), WAIT_LINE_MS);
  const interrupt = interruption(io);
  let stop = () => {};
  try {
    const outcome = await new Promise<VerificationView | "timeout" | "interrupt">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
      void interrupt.promise.then(resolve);
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
    if (typeof outcome !== "string") return { view: outcome, interrupted: false };
    const reason = outcome === "interrupt" ? "cancelled in the CLI (interrupted)" : "timed out waiting in the CLI";
    const view = await abandon(client, started, reason);
    return { view: view.final ? view : { ...started, state: "expired", final: true }, interrupted: outcome === "interrupt" };
  } finally {
    clearInterval(ticker);
    interrupt.dispose();
    stop();
  }
}

/**
 * Prompts for the code the caller reads back until the verification ends. `resend` and `cancel`
 * work at the prompt; the end of input, Ctrl-C and the timeout cancel the verification, so no
 * live code is left behind.
 */
export async function awaitCode(client: VerityClient, io: CliIo, started: VerificationView, deadline: number): Promise<WaitResult> {
  let current = started;
  const reader = lineReader(io.stdin);
  const interrupt = interruption(io);
  try {
    while (!current.final) {
      io.stdout.write("Code read back by the caller (or resend / cancel): ");
      const input = await Promise.race([
        reader.next(),
        interrupt.promise,
        new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now())).unref()),
      ]);
      if (input === "timeout") {
        line(io.stdout);
        return { view: await abandon(client, current, "timed out waiting in the CLI"), interrupted: false };
      }
      if (input === "interrupt") {
        line(io.stdout);
        return { view: await abandon(client, current, "cancelled in the CLI (interrupted)"), interrupted: true };
      }
      if (input === null) {
        line(io.stdout);
        const view = await abandon(client, current, "cancelled in the CLI (no code was entered before the input ended)");
        line(io.stderr, "verity: No code was entered (end of input); the verification was cancelled and its code no longer works.");
        return { view, interrupted: false };
      }
      const command = input.trim().toLowerCase();
      if (command === "") continue;
      if (command === "cancel") return { view: await client.cancel(current.id, "cancelled in the CLI"), interrupted: false };
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
        if (isVerityError(error) && error.status === 409) return { view: await client.get(current.id), interrupted: false };
        throw error;
      }
    }
    return { view: current, interrupted: false };
  } finally {
    interrupt.dispose();
    reader.close();
  }
}

/** Prints the outcome in pushpoll's words for pushes, and returns the exit status. */
export function reportFinal(io: CliIo, result: WaitResult, user: string): number {
  const v = result.view;
  if (result.interrupted) {
    line(io.stdout, v.state === "cancelled" ? "INTERRUPTED: the verification was cancelled; its code no longer works." : `INTERRUPTED (the verification is ${v.state}).`);
    return EXIT.interrupted;
  }
  const who = v.subject.displayName;
  switch (v.state) {
    case "verified": {
      if (v.methodKind === "push") line(io.stdout, `SUCCESS! Push Accepted by ${user}`);
      else if (v.methodKind === "link") line(io.stdout, `VERIFIED: ${who} confirmed on the link sent to ${v.destination ?? "their registered factor"} and picked the number.`);
      else if (isCallerPageKind(v.methodKind)) line(io.stdout, `VERIFIED: ${CALLER_PAGE_WORDS[v.methodKind].proved(who, v.destination ?? "their registered factor")}`);
      else if (v.methodKind === "passcode") line(io.stdout, `VERIFIED: ${who} read the current code from their ${appOf(v.method)}.`);
      else line(io.stdout, `VERIFIED: ${who} proved possession of ${v.destination ?? `their ${v.method} factor`}.`);
      if (v.secondMethod !== null && v.secondMethod.satisfiedBy !== null) {
        line(io.stdout, `Policy satisfied: a second, different method (${v.secondMethod.satisfiedByMethod ?? "?"}, verification ${v.secondMethod.satisfiedBy}) also verified ${who}.`);
      }
      if (v.assurance.required !== null) line(io.stdout, `Assurance: level ${v.assurance.rank} of 5 (${v.assurance.words}).`);
      if (v.assurance.satisfied === false) {
        line(io.stdout, `NOT YET SATISFIED: policy requires ${v.assurance.stillNeeded ?? "a stronger method"} for ${who} before acting on the request (exit ${EXIT.secondMethod}).`);
        return EXIT.secondMethod;
      }
      if (v.policySatisfied === false) {
        line(io.stdout, `NOT YET SATISFIED: policy requires a second, different method for ${who} before acting on the request (exit ${EXIT.secondMethod}).`);
        return EXIT.secondMethod;
      }
      return EXIT.ok;
    }
    case "rejected":
      if (v.methodKind === "push") line(io.stdout, v.stateReason === "fraud" ? `Push Denied by ${user}: reported as FRAUD` : `Push Denied by ${user}`);
      else if (isCallerPageKind(v.methodKind)) {
        line(io.stdout, v.stateReason === "fraud" ? `REJECTED: ${CALLER_PAGE_WORDS[v.methodKind].fraud(who)}: reported as FRAUD` : `REJECTED: ${(v.stateReason ?? "rejected").replace(/_/g, " ")}.`);
      }
      else line(io.stdout, `REJECTED: ${v.stateReason === "too_many_attempts" ? "too many incorrect codes" : (v.stateReason ?? "rejected")}.`);
      return EXIT.rejected;
    case "expired":
      line(io.stdout, v.methodKind === "push" ? `No response from ${user} (timed out)` : isCallerPageKind(v.methodKind) ? `EXPIRED: the ${CALLER_PAGE_WORDS[v.methodKind].noun} was not answered in time.` : "EXPIRED: the code was not confirmed in time.");
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

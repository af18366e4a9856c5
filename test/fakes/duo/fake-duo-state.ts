import { randomInt, randomUUID } from "node:crypto";

/** How a scripted caller answers the pushes sent to them. */
export type FakeDuoCaller =
  /** Approves after `afterMs`; with Verified Push they type the code (`wrong` types another). */
  | { readonly action: "approve"; readonly afterMs?: number; readonly typesCode?: "right" | "wrong" }
  | { readonly action: "deny"; readonly afterMs?: number }
  | { readonly action: "fraud"; readonly afterMs?: number }
  /** Never answers: Duo times the push out (60 s, or the fake's `pushTimeoutMs`). */
  | { readonly action: "ignore" };

export interface FakeDuoDevice {
  readonly device: string;
  readonly type: "phone" | "token";
  readonly name?: string;
  readonly display_name?: string;
  /** As Duo shows it: masked, `XXX-XXX-0100`. */
  readonly number?: string;
  readonly capabilities: readonly string[];
}

export interface FakeDuoUser {
  readonly username: string;
  /** What /preauth says: `auth` (default), `allow` (bypass), `deny` (locked out, disabled), `enroll`. */
  readonly status?: "auth" | "allow" | "deny" | "enroll";
  readonly devices?: readonly FakeDuoDevice[];
  readonly caller?: FakeDuoCaller;
  /** Passcodes Duo would accept; each works once, like Duo Mobile's and tokens' HOTP codes. */
  readonly passcodes?: readonly string[];
  /** The user's policy asks for Verified Duo Push (honoured when the client says it supports it). */
  readonly verifiedPush?: boolean;
}

export type FakeDuoDecision = "approve" | "deny" | "fraud" | "timeout" | "wrong_code";

/** One async push, as /auth_status reports it. */
export interface FakeDuoTransaction {
  readonly txid: string;
  readonly username: string;
  readonly device: string;
  /** Every parameter /auth received. */
  readonly params: Readonly<Record<string, string>>;
  /** `pushinfo` decoded: what Duo Mobile lists under the prompt. */
  readonly pushinfo: Readonly<Record<string, string>>;
  readonly verificationCode: string | null;
  readonly createdAt: number;
  result: "waiting" | "allow" | "deny";
  status: string;
  statusMsg: string;
  /** Bumped on every change; a long poll returns when it passes what that txid last reported. */
  version: number;
  reported: number;
  answeredAt: number | null;
}

export const DEFAULT_DEVICES: readonly FakeDuoDevice[] = [
  {
    device: "DPFZRS9FB0D46QFTM899",
    type: "phone",
    name: "",
    display_name: "iOS (XXX-XXX-0100)",
    number: "XXX-XXX-0100",
    capabilities: ["auto", "push", "sms", "phone", "mobile_otp"],
  },
];

const OUTCOMES: Record<FakeDuoDecision, Pick<FakeDuoTransaction, "result" | "status" | "statusMsg">> = {
  approve: { result: "allow", status: "allow", statusMsg: "Success. Logging you in..." },
  deny: { result: "deny", status: "deny", statusMsg: "Login request denied." },
  fraud: { result: "deny", status: "fraud", statusMsg: "Login request reported as fraudulent." },
  timeout: { result: "deny", status: "timeout", statusMsg: "Login timed out." },
  wrong_code: { result: "deny", status: "deny", statusMsg: "Incorrect verification code entered." },
};

/** Users, pushes and the long polls waiting on them. */
export function createFakeDuoState(options: { pushTimeoutMs: number }) {
  const users = new Map<string, FakeDuoUser>();
  const transactions: FakeDuoTransaction[] = [];
  const listeners = new Map<string, Set<() => void>>();
  const timers = new Set<NodeJS.Timeout>();
  /** Verified Push txids handed out by /preauth and not yet used by /auth. */
  const verifiedTxids = new Map<string, { username: string; code: string }>();

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const change = (tx: FakeDuoTransaction, next: Pick<FakeDuoTransaction, "result" | "status" | "statusMsg">) => {
    if (tx.result !== "waiting") return;
    Object.assign(tx, next);
    tx.version += 1;
    tx.answeredAt = next.result === "waiting" ? null : Date.now();
    for (const notify of listeners.get(tx.txid) ?? []) notify();
  };

  const decide = (txid: string, decision: FakeDuoDecision) => {
    const tx = transactions.find((t) => t.txid === txid);
    if (tx === undefined) throw new Error(`fake Duo has no transaction ${txid}`);
    change(tx, OUTCOMES[decision]);
  };

  const script = (tx: FakeDuoTransaction, caller: FakeDuoCaller | undefined) => {
    later(options.pushTimeoutMs, () => change(tx, OUTCOMES.timeout));
    if (caller === undefined || caller.action === "ignore") return;
    const decision: FakeDuoDecision =
      caller.action === "approve" ? (tx.verificationCode !== null && caller.typesCode === "wrong" ? "wrong_code" : "approve") : caller.action;
    later(caller.afterMs ?? 0, () => change(tx, OUTCOMES[decision]));
  };

  return {
    users,
    transactions,
    decide,
    /** A Verified Push txid for /preauth, and the code Duo Mobile will ask for. */
    issueVerifiedTxid(username: string): { txid: string; code: string } {
      const issued = { txid: randomUUID(), code: String(randomInt(100, 1000)) };
      verifiedTxids.set(issued.txid, { username, code: issued.code });
      return issued;
    },
    /** Spends a Verified Push txid; `undefined` when it is unknown, used or someone else's. */
    takeVerifiedTxid(txid: string, username: string): { code: string } | undefined {
      const found = verifiedTxids.get(txid);
      if (found?.username !== username) return undefined;
      verifiedTxids.delete(txid);
      return { code: found.code };
    },
    startPush(user: FakeDuoUser, device: string, params: Record<string, string>, pushinfo: Record<string, string>, code: string | null): FakeDuoTransaction {
      const tx: FakeDuoTransaction = {
        txid: randomUUID(),
        username: user.username,
        device,
        params,
        pushinfo,
        verificationCode: code,
        createdAt: Date.now(),
        result: "waiting",
        status: "pushed",
        statusMsg: code === null ? "Pushed a login request to your device..." : `Please enter verification code ${code} into Duo Mobile...`,
        version: 1,
        reported: 0,
        answeredAt: null,
      };
      transactions.push(tx);
      if (user.status === "allow") change(tx, { result: "allow", status: "bypass", statusMsg: "Bypassing two-factor authentication." });
      else if (user.status === "deny") change(tx, { result: "deny", status: "locked_out", statusMsg: "Your account is disabled." });
      else script(tx, user.caller);
      return tx;
    },
    /** Calls `notify` on the transaction's next change; returns the unsubscribe. */
    onChange(txid: string, notify: () => void): () => void {
      const set = listeners.get(txid) ?? new Set<() => void>();
      set.add(notify);
      listeners.set(txid, set);
      return () => set.delete(notify);
    },
    /** Consumes a passcode if it is one of the user's. */
    usePasscode(user: FakeDuoUser, passcode: string): boolean {
      const remaining = [...(user.passcodes ?? [])];
      const at = remaining.indexOf(passcode);
      if (at < 0) return false;
      remaining.splice(at, 1);
      users.set(user.username, { ...user, passcodes: remaining });
      return true;
    },
    clear() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      transactions.length = 0;
      verifiedTxids.clear();
    },
  };
}

export type FakeDuoState = ReturnType<typeof createFakeDuoState>;

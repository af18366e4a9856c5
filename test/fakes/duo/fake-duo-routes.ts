import { DEFAULT_DEVICES, type FakeDuoState, type FakeDuoUser } from "./fake-duo-state.js";

/** An answer the server writes; `onSent` runs only once it was written to an open socket. */
export interface FakeDuoReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly onSent?: () => void;
}

export interface RouteContext {
  readonly state: FakeDuoState;
  readonly params: Readonly<Record<string, string>>;
  /** Runs `gone` if the client goes away before the answer is written. */
  onClientGone(gone: () => void): void;
  readonly holdMs: number;
  readonly verifiedPushCodeIn: "status_msg" | "preauth";
  /** Registers a held long poll so the fake can finish it on close. */
  hold(finish: () => void): () => void;
}

/** Duo's failure envelope; the HTTP status is the first three digits of the code. */
export const fail = (code: number, message: string, detail?: string): FakeDuoReply => ({
  status: Math.floor(code / 100),
  body: { stat: "FAIL", code, message, ...(detail === undefined ? {} : { message_detail: detail }) },
});

export const ok = (response: unknown): FakeDuoReply => ({ status: 200, body: { stat: "OK", response } });

const PREAUTH_PARAMS = new Set(["username", "user_id", "ipaddr", "hostname", "trusted_device_token", "client_supports_verified_push"]);
const AUTH_PARAMS = new Set(["username", "user_id", "factor", "device", "async", "type", "display_username", "pushinfo", "passcode", "ipaddr", "hostname", "txid"]);
/** Duo: "The URL-encoded string's total length must be less than 20,000 bytes." */
export const PUSHINFO_LIMIT_BYTES = 20_000;

// Stricter than Duo (which may ignore extras): an unknown parameter is a typo worth failing on.
function badParams(params: Readonly<Record<string, string>>, allowed: ReadonlySet<string>, required: readonly string[]): FakeDuoReply | null {
  const unknown = Object.keys(params).find((k) => !allowed.has(k));
  if (unknown !== undefined) return fail(40002, "Invalid request parameters", unknown);
  const missing = required.find((k) => params[k] === undefined || params[k] === "");
  return missing === undefined ? null : fail(40001, "Missing required request parameters", missing);
}

export function preauth(ctx: RouteContext): FakeDuoReply {
  const bad = badParams(ctx.params, PREAUTH_PARAMS, ["username"]);
  if (bad !== null) return bad;
  const username = ctx.params.username ?? "";
  // Duo's default new-user policy is "require enrollment".
  const user: FakeDuoUser = ctx.state.users.get(username) ?? { username, status: "enroll" };
  switch (user.status ?? "auth") {
    case "allow":
      return ok({ result: "allow", status_msg: "Allowing unknown user" });
    case "deny":
      return ok({ result: "deny", status_msg: "Your account is disabled." });
    case "enroll":
      return ok({
        result: "enroll",
        status_msg: "Enroll an authentication device to proceed",
        enroll_portal_url: "https://api-fake.duosecurity.test/portal?code=48bac5d9393fb2c2&akey=DAFAKE",
      });
    case "auth": {
      const response: Record<string, unknown> = { result: "auth", status_msg: "Account is active", devices: user.devices ?? DEFAULT_DEVICES };
      if (ctx.params.client_supports_verified_push === "1" && user.verifiedPush === true) {
        const issued = ctx.state.issueVerifiedTxid(username);
        response.txid = issued.txid;
        if (ctx.verifiedPushCodeIn === "preauth") response.verification_code = issued.code;
      }
      return ok(response);
    }
  }
}

export function auth(ctx: RouteContext): FakeDuoReply {
  const bad = badParams(ctx.params, AUTH_PARAMS, ["username", "factor"]);
  if (bad !== null) return bad;
  const params = ctx.params;
  const user = ctx.state.users.get(params.username ?? "");
  if (user === undefined) return fail(40002, "Invalid request parameters", "username");
  if (params.factor === "passcode") return passcode(ctx, user);
  if (params.factor !== "push") return fail(40002, "Invalid request parameters", "factor");
  if (params.async !== "1") return fail(40002, "Invalid request parameters", "async");
  if (params.device === undefined) return fail(40001, "Missing required request parameters", "device");
  const devices = user.devices ?? DEFAULT_DEVICES;
  const device = devices.find((d) => d.capabilities.includes("push") && (params.device === "auto" || d.device === params.device));
  if (device === undefined && (user.status ?? "auth") === "auth") return fail(40002, "Invalid request parameters", "device");
  const pushinfo = params.pushinfo ?? "";
  if (Buffer.byteLength(pushinfo, "utf8") >= PUSHINFO_LIMIT_BYTES) return fail(40002, "Invalid request parameters", "pushinfo");
  let code: string | null = null;
  if (params.txid !== undefined) {
    const taken = ctx.state.takeVerifiedTxid(params.txid, user.username);
    if (taken === undefined) return fail(40002, "Invalid request parameters", "txid");
    code = taken.code;
  }
  const tx = ctx.state.startPush(user, device?.device ?? "auto", { ...params }, Object.fromEntries(new URLSearchParams(pushinfo)), code);
  return ok({ txid: tx.txid });
}

function passcode(ctx: RouteContext, user: FakeDuoUser): FakeDuoReply {
  const given = ctx.params.passcode;
  if (given === undefined || given === "") return fail(40001, "Missing required request parameters", "passcode");
  switch (user.status ?? "auth") {
    case "allow":
      return ok({ result: "allow", status: "bypass", status_msg: "Bypassing two-factor authentication." });
    case "deny":
      return ok({ result: "deny", status: "locked_out", status_msg: "Your account is disabled." });
    case "enroll":
      return ok({ result: "deny", status: "deny", status_msg: "Enroll an authentication device to proceed." });
    case "auth":
      return ctx.state.usePasscode(user, given)
        ? ok({ result: "allow", status: "allow", status_msg: "Success. Logging you in..." })
        : ok({ result: "deny", status: "deny", status_msg: "Incorrect passcode. Please try again." });
  }
}

/**
 * A true long poll: answers at once when the push changed since this txid last reported (or is
 * settled), otherwise holds until the next change or `holdMs`, then reports what it is.
 */
export function authStatus(ctx: RouteContext): Promise<FakeDuoReply> {
  const txid = ctx.params.txid;
  if (txid === undefined || txid === "") return Promise.resolve(fail(40001, "Missing required request parameters", "txid"));
  const tx = ctx.state.transactions.find((t) => t.txid === txid);
  if (tx === undefined) return Promise.resolve(fail(40002, "Invalid request parameters", "txid"));
  const report = (): FakeDuoReply => {
    const version = tx.version;
    return { ...ok({ result: tx.result, status: tx.status, status_msg: tx.statusMsg, auth_delayed: false }), onSent: () => void (tx.reported = Math.max(tx.reported, version)) };
  };
  if (tx.version > tx.reported || tx.result !== "waiting") return Promise.resolve(report());
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      release();
      resolve(report());
    };
    const timer = setTimeout(finish, ctx.holdMs);
    const unsubscribe = ctx.state.onChange(txid, finish);
    const release = ctx.hold(finish);
    ctx.onClientGone(finish);
  });
}

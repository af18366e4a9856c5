import { randomBytes } from "node:crypto";
import { VIP_NS } from "../../../src/adapters/push/vip/vip-requests.js";
import { childrenNamed, element, leaf, type XmlElement } from "../../../src/adapters/push/vip/vip-xml.js";
import { newChallenge, newTransactionId, STATUS_MESSAGES, type FakeTransaction, type FakeVipUser } from "./fake-vip-model.js";

/** What the fake holds between requests. */
export interface VipState {
  readonly users: Map<string, FakeVipUser>;
  readonly transactions: Map<string, FakeTransaction>;
  readonly numberChallenge: boolean;
  readonly lockAfterFailures: number;
}

/** An operation's answer: the status block and the elements that follow it, in schema order. */
export interface OperationResult {
  readonly status: string;
  readonly statusMessage?: string;
  readonly detail?: string;
  readonly detailMessage?: string;
  readonly fields?: readonly string[];
}

const status = (code: string, extra: Omit<OperationResult, "status"> = {}): OperationResult => ({ status: code, statusMessage: STATUS_MESSAGES[code] ?? "", ...extra });
const textOf = (req: XmlElement, name: string): string => childrenNamed(req, VIP_NS, name)[0]?.text ?? "";
const pairs = (parent: XmlElement | undefined, name: string): Record<string, string> =>
  Object.fromEntries((parent === undefined ? [] : childrenNamed(parent, VIP_NS, name)).map((kv) => [textOf(kv, "Key"), textOf(kv, "Value")]));
const iso = (ms: number) => new Date(ms).toISOString();

/** AuthenticateUserWithPush: 6040 with a transaction, or the reason no push went out. */
export function handlePush(state: VipState, req: XmlElement, onSent: (tx: FakeTransaction) => void): OperationResult {
  const user = state.users.get(textOf(req, "userId"));
  if (user === undefined) return status("6003");
  if (user.status !== "ACTIVE") return status("601B");
  const devices = user.credentials.filter((c) => c.push && c.status === "ENABLED");
  const [first] = devices;
  if (first === undefined) return status("6008");
  const data = childrenNamed(req, VIP_NS, "pushAuthData")[0];
  const requestParameters = pairs(data, "requestParameters");
  const timeout = Number(requestParameters["request.timeout"] ?? "120");
  if (!Number.isInteger(timeout) || timeout < 1) return status("600B", { detailMessage: "request.timeout must be a whole number of seconds" });
  const tx: FakeTransaction = {
    transactionId: newTransactionId(),
    userId: user.userId,
    credentialId: first.id,
    displayParameters: pairs(data, "displayParameters"),
    requestParameters,
    timeoutSeconds: timeout,
    createdAt: Date.now(),
    challenge: state.numberChallenge ? newChallenge() : null,
    state: "pending",
    answeredAt: null,
  };
  state.transactions.set(tx.transactionId, tx);
  onSent(tx);
  return status("6040", {
    fields: [
      leaf("transactionId", tx.transactionId),
      ...devices.map((d) => element("pushDetail", [leaf("pushCredentialId", d.id), leaf("pushSent", "true")])),
      // Not in the 1.7 schema: VIP documents it for accounts with "Require Number Challenge" on.
      tx.challenge !== null && leaf("numbersChallengeValue", tx.challenge),
    ].filter((f): f is string => typeof f === "string"),
  });
}

/** PollPushStatus: 0000 with one transactionStatus per transaction asked about. */
export function handlePoll(state: VipState, req: XmlElement): OperationResult {
  const blocks = childrenNamed(req, VIP_NS, "transactionId").map((idElement) => transactionStatus(state, idElement.text));
  return status("0000", { fields: blocks });
}

function transactionStatus(state: VipState, transactionId: string): string {
  const tx = state.transactions.get(transactionId);
  const block = (code: string, extra: readonly (string | false)[] = []) =>
    element("transactionStatus", [leaf("transactionId", transactionId), leaf("status", code), leaf("statusMessage", STATUS_MESSAGES[code] ?? ""), ...extra]);
  if (tx === undefined) return block("7005");
  const answered = (code: string, detail?: [string, string]) =>
    block(code, [
      detail !== undefined && leaf("detail", detail[0]),
      detail !== undefined && leaf("detailMessage", detail[1]),
      leaf("authnTime", iso(tx.answeredAt ?? Date.now())),
      leaf("credentialId", tx.credentialId),
      leaf("credentialType", "STANDARD_OTP"),
    ]);
  switch (tx.state) {
    case "approved":
      return answered("7000");
    case "denied":
      return answered("7002");
    case "wrong-number":
      return answered("7002", ["7141", "Numbers challenge failed"]);
    case "pending":
      if (Date.now() > tx.createdAt + tx.timeoutSeconds * 1000) return block("7004");
      return tx.challenge === null ? block("7001") : block("7001", [leaf("detail", "7140"), leaf("detailMessage", "Numbers challenge pending")]);
  }
}

/** CheckOtp: a code from `validOtp` works once; wrong codes count towards locking the user. */
export function handleCheckOtp(state: VipState, req: XmlElement): OperationResult {
  const user = state.users.get(textOf(req, "userId"));
  if (user === undefined) return status("6003");
  if (user.status !== "ACTIVE") return status("601B");
  const tokens = user.credentials.filter((c) => c.type === "STANDARD_OTP");
  const usable = tokens.find((c) => c.status === "ENABLED");
  if (usable === undefined) return tokens.length === 0 ? status("6008") : status("600D");
  const otp = textOf(childrenNamed(req, VIP_NS, "otpAuthData")[0] ?? req, "otp");
  if (user.validOtps.delete(otp)) {
    user.failedChecks = 0;
    return status("0000", {
      fields: [leaf("credentialId", usable.id), leaf("credentialType", usable.type), leaf("authnId", randomBytes(8).toString("hex").toUpperCase())],
    });
  }
  user.failedChecks += 1;
  if (user.failedChecks >= state.lockAfterFailures) user.status = "LOCKED";
  return status("6009", { detail: "49B5", detailMessage: "Failed with an invalid OTP" });
}

/** GetUserInfo: the user, their bindings, and push attributes unless asked not to. */
export function handleGetUserInfo(state: VipState, req: XmlElement): OperationResult {
  const user = state.users.get(textOf(req, "userId"));
  if (user === undefined) return status("6003");
  const withPush = !/^(false|0)$/.test(textOf(req, "includePushAttributes").trim());
  const bindings = user.credentials.map((c) =>
    element("credentialBindingDetail", [
      leaf("credentialId", c.id),
      leaf("credentialType", c.type),
      leaf("credentialStatus", c.status),
      element("bindingDetail", [leaf("bindStatus", "ENABLED"), c.friendlyName !== null && leaf("friendlyName", c.friendlyName), leaf("lastBindTime", iso(c.boundAt.getTime()))]),
      ...(withPush && c.push
        ? [
            element("pushAttributes", [leaf("Key", "PUSH_PLATFORM"), leaf("Value", c.platform ?? "IPHONE")]),
            element("pushAttributes", [leaf("Key", "PUSH_ENABLED"), leaf("Value", "true")]),
          ]
        : []),
    ]),
  );
  return status("0000", {
    fields: [
      leaf("userId", user.userId),
      leaf("userCreationTime", iso(user.createdAt.getTime())),
      leaf("userStatus", user.status),
      leaf("numBindings", String(user.credentials.length)),
      ...bindings,
    ],
  });
}

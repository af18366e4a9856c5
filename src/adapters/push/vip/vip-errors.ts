import { VerityError } from "../../../domain/errors.js";
import type { OutboundError } from "../../http/outbound.js";
import type { TlsVerdict } from "./vip-tls-probe.js";

/** The calls Verity makes, named for messages. */
export type VipOperation = "push" | "poll" | "passcode" | "describe" | "test";

const ACT: Readonly<Record<VipOperation, string>> = {
  push: "send the push",
  poll: "report the push's status",
  passcode: "check the security code",
  describe: "look the user up",
  test: "answer a connection test",
};

const details = (op: VipOperation, extra: Record<string, unknown> = {}) => ({ provider: "vip", operation: op, ...extra });

/**
 * Wording from VIP, made safe to show and store: one line of printable text, at most 200
 * characters, with `secret` (the passcode being checked) blanked should VIP echo it.
 */
export function vipWording(value: string | undefined, secret?: string): string {
  let text = (value ?? "").replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, " ").replace(/\s+/g, " ").trim();
  if (secret !== undefined && secret !== "") text = text.split(secret).join("••••••");
  return [...text].length > 200 ? `${[...text].slice(0, 199).join("")}…` : text;
}

/** Why VIP does not know a user, and the usual fix: the id rule, since VIP ids are often not UPNs. */
export function userMissingMessage(userId: string): string {
  return (
    `VIP has no user "${userId}". VIP user ids are whatever VIP Manager holds, often the on-premises account name ` +
    "(sAMAccountName) rather than the email address: check this method's userId rule in the tenant configuration " +
    "(for example `vip-push: { provider: vip, userId: sam-account-name }`), or add the user in VIP Manager."
  );
}

const lockedMessage = (userId: string, what: string) =>
  `VIP will not authenticate "${userId}": ${what}. Ask a VIP administrator to unlock or enable it in VIP Manager ` +
  "(Users → the user → credentials), then try again.";

/** A VIP status other than the operation's success, for any operation. */
export function errorFromStatus(op: VipOperation, status: string, statusMessage: string | undefined, userId: string | null, secret?: string): VerityError {
  const said = vipWording(statusMessage, secret);
  const info = details(op, { status, ...(said === "" ? {} : { statusMessage: said }) });
  const who = userId ?? "the user";
  switch (status) {
    case "6003":
      return new VerityError("NO_USABLE_FACTOR", { message: userMissingMessage(who), details: info });
    case "6008":
      return new VerityError("NO_USABLE_FACTOR", {
        message:
          op === "push"
            ? `"${who}" has no enabled VIP credential that takes pushes (the VIP Access app with push turned on). Enrol one in VIP Manager, or use another method.`
            : `"${who}" has no enabled VIP token or VIP Access app whose security code VIP can check. Enrol one in VIP Manager, or use another method.`,
        details: info,
      });
    case "601B":
      return new VerityError("PROVIDER_ERROR", { message: lockedMessage(who, "the user is locked or disabled in VIP"), details: info });
    case "600D":
      return new VerityError("PROVIDER_ERROR", { message: lockedMessage(who, "the user's credentials are locked or disabled"), details: info });
    case "6005":
      return new VerityError("PROVIDER_UNAVAILABLE", { message: `VIP had an internal error (6005) and could not ${ACT[op]}. Try again shortly.`, details: info });
    case "6001":
    case "600E":
      return new VerityError("UPSTREAM_AUTH_FAILED", {
        message: `VIP refused the VIP certificate's account (${status}${said === "" ? "" : `: ${said}`}). An administrator must check in VIP Manager that the certificate is current, not revoked, and belongs to an active account.`,
        details: info,
      });
    case "600B":
      return new VerityError("PROVIDER_ERROR", {
        message: `VIP said Verity's request does not match its schema (600B) when asked to ${ACT[op]}. This is a Verity defect; please report it.`,
        details: info,
      });
    default:
      return new VerityError("PROVIDER_ERROR", { message: `VIP could not ${ACT[op]} (status ${status}${said === "" ? "" : `: ${said}`}).`, details: info });
  }
}

/** A SOAP Fault. Its text is shown only where the request held no secret. */
export function errorFromFault(op: VipOperation, fault: { faultCode: string; faultString: string }, showText: boolean): VerityError {
  const text = showText ? vipWording(fault.faultString) : "";
  return new VerityError("PROVIDER_ERROR", {
    message: `VIP answered with a SOAP fault and could not ${ACT[op]}${text === "" ? "" : `: ${text}`}.`,
    details: details(op, { faultCode: vipWording(fault.faultCode) }),
  });
}

/** An HTTP status with no SOAP answer Verity could read. */
export function errorFromHttp(op: VipOperation, httpStatus: number): VerityError {
  const info = details(op, { httpStatus });
  if (httpStatus === 401 || httpStatus === 403) {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `VIP refused Verity (HTTP ${httpStatus}): the VIP certificate was not accepted. An administrator must configure the current VIP certificate from VIP Manager.`,
      details: info,
    });
  }
  if (httpStatus >= 500 || httpStatus === 429) {
    return new VerityError("PROVIDER_UNAVAILABLE", { message: `VIP is not answering properly (HTTP ${httpStatus}); it could not ${ACT[op]}. Try again shortly.`, details: info });
  }
  return new VerityError("PROVIDER_ERROR", { message: `VIP refused the request to ${ACT[op]} (HTTP ${httpStatus}); check the VIP URLs in the configuration.`, details: info });
}

/** A 200 whose body is not the SOAP answer expected. */
export function unreadableAnswer(op: VipOperation, reason: string): VerityError {
  return new VerityError("PROVIDER_ERROR", {
    message: `VIP's answer could not be read when asked to ${ACT[op]} (${vipWording(reason)}).`,
    details: details(op),
  });
}

/**
 * No HTTP answer. `verdict` is what a bare TLS handshake showed (null when none was tried).
 * A push that may have left is said to be possibly on its way, so the caller is warned.
 */
export function errorFromTransport(op: VipOperation, error: OutboundError, verdict: TlsVerdict | null, host: string): VerityError {
  const info = details(op, { kind: error.kind });
  if (verdict === "refused") {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message:
        `VIP (${host}) refused the TLS connection: the VIP certificate was not accepted. An administrator must check that ` +
        "`certificate` and `privateKey` hold the current VIP certificate exported from VIP Manager for this account, and that it has not expired or been revoked.",
      details: info,
      cause: error,
    });
  }
  if (verdict === "untrusted-server") {
    return new VerityError("UPSTREAM_AUTH_FAILED", {
      message: `Verity does not trust the TLS certificate of ${host}. For a private or test endpoint, add its CA under \`ca\`; otherwise check the VIP URLs: something may be intercepting the connection.`,
      details: info,
      cause: error,
    });
  }
  const maybeSent = op === "push" && error.kind === "ambiguous";
  return new VerityError("PROVIDER_UNAVAILABLE", {
    message: maybeSent
      ? `VIP gave no answer to the push (${error.message}). A prompt may still reach the caller's phone: ask them to deny any prompt they do not expect, then try again.`
      : `VIP could not be reached to ${ACT[op]} (${error.message}).${op === "push" ? " Nothing was sent." : ""} Try again shortly.`,
    details: info,
    cause: error,
  });
}

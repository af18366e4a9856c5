import { usesChannel } from "../domain/methods.js";
import { VerityError } from "../domain/errors.js";
import { hashDestination, type KeyRing } from "../domain/keys.js";
import { maskEmail, maskPhone } from "../domain/masking.js";
import type { UserIdRule } from "../domain/methods.js";
import type { NormalisedPhone } from "../domain/phone.js";
import type { DirectoryUser } from "../domain/ports.js";
import { usableManager } from "../domain/manager.js";
import type { MethodBinding } from "./tenant-registry.js";

/** Where a verification goes: a destination Verity sends to, or the user's id at a provider. */
export type Target =
  | {
      readonly kind: "destination";
      readonly to: string;
      readonly masked: string;
      readonly hash: string;
      readonly label: string;
      /** A text's destination country and dialling prefix, for the country allowlist and send caps. */
      readonly sms?: { readonly country: string; readonly prefix: string };
    }
  | { readonly kind: "provider"; readonly providerUserId: string; readonly masked: null; readonly hash: null; readonly label: string };

/** Phone types that may receive a text, in order of preference. Office lines take voice only. */
const SMS_PHONE_ORDER = ["mobile", "alternateMobile"] as const;

/** Who is starting the verification, to keep a manager from approving their own request. */
export interface Requester {
  readonly id: string;
  readonly name: string;
}

/**
 * Picks the registered factor a method uses. Only directory data is consulted: there is no way
 * to send to a number or address that a caller or technician supplies. Manager approval goes to
 * the caller's manager as the directory names them (approvalTarget).
 * @throws NO_USABLE_FACTOR saying what the user lacks
 */
export function chooseTarget(binding: MethodBinding, user: DirectoryUser, keys: KeyRing, requester?: Requester): Target {
  const spec = binding.spec;
  if (spec.kind === "approval") return approvalTarget(user, keys, requester);
  if (usesChannel(spec) && spec.channel === "sms") {
    for (const type of SMS_PHONE_ORDER) {
      const phone = user.phones.find((p) => p.type === type);
      if (phone !== undefined) {
        return {
          kind: "destination",
          to: phone.phone.e164,
          masked: maskPhone(phone.phone),
          hash: hashDestination(keys, phone.phone.e164),
          label: type === "mobile" ? "mobile phone" : "alternate mobile phone",
          sms: smsRegion(phone.phone),
        };
      }
    }
    const office = user.phones.some((p) => p.type === "office");
    throw new VerityError("NO_USABLE_FACTOR", {
      message: office
        ? `${user.displayName} has only an office phone registered, and office numbers are never texted; register a mobile number or use another method.`
        : `${user.displayName} has no mobile or alternate mobile phone registered; register one or use another method.`,
    });
  }
  if (usesChannel(spec)) {
    const email = user.emails.find((e) => !isOwnMailbox(user, e));
    if (email === undefined) {
      const own = user.emails.length > 0;
      throw new VerityError("NO_USABLE_FACTOR", {
        message: own
          ? `${user.displayName}'s only registered email address is the account's own mailbox: ${OWN_MAILBOX_REASON}, so a code sent there proves nothing. Register an address outside this account (a personal or security address), or use another method.`
          : `${user.displayName} has no alternate email address registered; register one or use another method.`,
        ...(own ? { details: { reason: "email_is_own_mailbox" } } : {}),
      });
    }
    return {
      kind: "destination",
      to: email,
      masked: maskEmail(email),
      hash: hashDestination(keys, email),
      label: "alternate email",
    };
  }
  const rule = "provider" in binding ? binding.userIdRule : undefined;
  const providerUserId = providerUserIdFor(rule, user, spec.provider);
  if (providerUserId === null) {
    throw new VerityError("NO_USABLE_FACTOR", {
      message: `${user.displayName} has no ${RULE_WORDS[rule ?? "provider-id"]} in the directory, which this tenant's ${spec.provider} mapping uses.`,
    });
  }
  return { kind: "provider", providerUserId, masked: null, hash: null, label: `${spec.provider} account ${providerUserId}` };
}

/**
 * Manager approval's destination: the manager's own mailbox, never the caller's. Refused (with the
 * reason in words) when the directory names no manager, a manager without an address, the caller
 * themself or an address of the caller's, or when the manager is the technician asking: nobody
 * approves their own request.
 */
function approvalTarget(user: DirectoryUser, keys: KeyRing, requester: Requester | undefined): Target {
  const found = usableManager(user);
  if ("reason" in found) {
    throw new VerityError("NO_USABLE_FACTOR", { message: `${found.reason} Manager approval needs one; use another method.`, details: { reason: "no_usable_manager" } });
  }
  const { manager } = found;
  if (requester !== undefined && isRequester(manager, requester)) {
    throw new VerityError("NO_USABLE_FACTOR", {
      message: `You are ${user.displayName}'s manager in the directory, and nobody approves their own request. Ask another technician to start it, or use another method.`,
      details: { reason: "manager_is_technician" },
    });
  }
  return { kind: "destination", to: manager.email, masked: maskEmail(manager.email), hash: hashDestination(keys, manager.email), label: `manager (${manager.displayName})` };
}

/** Whether the requester is the manager: by address (a web user's or token's name is often one) or by name. */
function isRequester(manager: { displayName: string; email: string }, requester: Requester): boolean {
  const names = [requester.name, requester.id.replace(/^[a-z]+:/, "")].map((n) => n.trim().toLowerCase()).filter((n) => n !== "");
  return names.includes(manager.email.toLowerCase()) || names.includes(manager.displayName.trim().toLowerCase());
}

/** Why an email code never goes to the account's own mailbox (shown to technicians). */
export const OWN_MAILBOX_REASON = "the account's own mailbox: whoever holds the account reads it";

/** An address compared as Exchange and most hosts deliver it: case-insensitively, without a `+tag`. */
function mailboxKey(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf("@");
  if (at <= 0) return lower;
  const local = lower.slice(0, at);
  const plus = local.indexOf("+");
  return `${plus > 0 ? local.slice(0, plus) : local}@${lower.slice(at + 1)}`;
}

/**
 * Whether `address` reaches the account's own mailbox: the UPN, the primary mail address or any
 * other address the directory lists as the mailbox's (plus-addressed forms included). A code sent
 * there proves only that someone can read the account's mail, which is exactly what an attacker
 * holding the account (or a session in it) can do, so it is never a verification target, even
 * when a directory lists it as an alternate email.
 */
export function isOwnMailbox(user: Pick<DirectoryUser, "upn" | "mail" | "mailboxAddresses">, address: string): boolean {
  const wanted = mailboxKey(address);
  const own = [user.upn, user.mail ?? "", ...(user.mailboxAddresses ?? [])].filter((a) => a !== "").map(mailboxKey);
  return own.includes(wanted);
}

/**
 * Where a text goes, coarsely: the ISO country (or `+<calling code>` when the number names none)
 * and the dialling prefix (calling code and the first three national digits), which is what SMS
 * pumping concentrates on.
 */
export function smsRegion(phone: NormalisedPhone): { country: string; prefix: string } {
  const national = phone.e164.slice(1 + phone.callingCode.length);
  return { country: phone.country ?? `+${phone.callingCode}`, prefix: `+${phone.callingCode}${national.slice(0, 3)}` };
}

const RULE_WORDS: Record<UserIdRule, string> = {
  "provider-id": "provider id",
  upn: "user principal name",
  "upn-prefix": "user principal name",
  mail: "mail address",
  "sam-account-name": "on-premises account name (sAMAccountName)",
};

/**
 * The user's id at a provider: by default the id the directory lists for that provider kind,
 * else the UPN. A VIP user id, for example, is often the sAMAccountName, not the UPN.
 * @returns null when the directory lacks the attribute the rule needs
 */
export function providerUserIdFor(rule: UserIdRule | undefined, user: DirectoryUser, providerKind: string): string | null {
  switch (rule ?? "provider-id") {
    case "provider-id":
      return user.providerIds[providerKind] ?? user.upn;
    case "upn":
      return user.upn;
    case "upn-prefix":
      return user.upn.split("@")[0] ?? null;
    case "mail":
      return user.mail ?? null;
    case "sam-account-name":
      return user.samAccountName ?? null;
  }
}

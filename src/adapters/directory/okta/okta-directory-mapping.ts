import { isVerityError } from "../../../domain/errors.js";
import { normalisePhone } from "../../../domain/phone.js";
import type { DirectoryPhone, DirectoryUser, PhoneType, UnusableFactor } from "../../../domain/ports.js";
import { PHONE_TYPES } from "../../../domain/ports.js";
import type { OktaDirectoryFactor, OktaDirectoryUser, OktaGroup, OktaRole } from "./okta-directory-schemas.js";

/** Factor types the directory turns into something Verity uses itself (numbers, addresses). */
const PHONE_FACTORS: Readonly<Record<string, PhoneType>> = { sms: "mobile", call: "office" };
/** Factor types Verity uses through the `okta` push/passcode provider. */
const PROVIDER_FACTORS = new Set(["push", "token:software:totp"]);

const FACTOR_NAMES: Readonly<Record<string, string>> = {
  sms: "SMS",
  call: "voice call",
  email: "email",
  push: "Okta Verify push",
  "token:software:totp": "authenticator app (TOTP)",
  question: "security question",
  webauthn: "security key or biometric (WebAuthn)",
  u2f: "U2F security key",
  "token:hardware": "hardware token",
  token: "third-party token",
  "token:hotp": "HOTP token",
  signed_nonce: "Okta FastPass",
  web: "web factor",
};

const factorName = (type: string) => FACTOR_NAMES[type] ?? type;
const lower = (value: string | null | undefined) => (value ?? "").trim().toLowerCase();

/** "Jane Doe" from Okta's displayName, else first and last name, else the login. */
export function displayNameOf(user: OktaDirectoryUser): string {
  const profile = user.profile;
  const named = profile.displayName?.trim();
  if (named !== undefined && named !== "") return named;
  const joined = [profile.firstName, profile.lastName].map((p) => p?.trim() ?? "").filter((p) => p !== "").join(" ");
  return joined === "" ? profile.login : joined;
}

/** The identity of an Okta user, with nothing read about their factors, groups or roles (search). */
export function identityOnly(user: OktaDirectoryUser, organisation: string | null): DirectoryUser {
  return {
    id: user.id,
    upn: user.profile.login,
    displayName: displayNameOf(user),
    phones: [],
    emails: [],
    groups: [],
    privileged: false,
    providerIds: { okta: user.id },
    unusable: [],
    mail: user.profile.email ?? null,
    samAccountName: null,
    organisation,
  };
}

/** The admin role assignments that count: every one Okta lists that is not inactive. */
export function heldRoles(roles: readonly OktaRole[]): OktaRole[] {
  return roles.filter((role) => role.status === undefined || role.status === "ACTIVE");
}

export function roleName(role: OktaRole): string {
  return role.label?.trim() || role.type || "an unnamed admin role";
}

/**
 * An Okta user with their enrolled factors, groups and admin roles, as Verity's DirectoryUser.
 *
 * - Active `sms` factors give the mobile number, active `call` factors an office number (shown,
 *   never texted: a voice factor may be a landline). Numbers are normalised to E.164; a number
 *   Okta shows masked or that cannot be parsed goes to `unusable` without repeating it.
 * - Active `email` factors give addresses only when they differ from the account's own login
 *   and primary email: a caller who lost the account may have lost that mailbox too.
 * - Okta Verify push and TOTP are left to the `okta` provider (`providerIds.okta` is the user id);
 *   other factor types, and factors not ACTIVE, are listed in `unusable` with the reason.
 * - `privileged` when the user holds any admin role.
 */
export function toDirectoryUser(input: {
  readonly user: OktaDirectoryUser;
  readonly factors: readonly OktaDirectoryFactor[];
  readonly groups: readonly OktaGroup[];
  readonly roles: readonly OktaRole[];
  readonly organisation: string | null;
  /** The user `profile.managerId` names in the org, when it names one. */
  readonly manager?: OktaDirectoryUser | null;
}): DirectoryUser {
  const { user } = input;
  const phones: DirectoryPhone[] = [];
  const emails: string[] = [];
  const unusable: UnusableFactor[] = [];
  const ownAddresses = new Set([lower(user.profile.login), lower(user.profile.email)].filter((a) => a !== ""));
  for (const factor of input.factors) {
    const type = factor.factorType;
    if (factor.status !== "ACTIVE") {
      unusable.push({ type, reason: `The Okta ${factorName(type)} factor is ${lower(factor.status ?? "not active").replace(/_/g, " ")}, not active.` });
      continue;
    }
    const phoneType = PHONE_FACTORS[type];
    if (phoneType !== undefined) {
      const phone = phoneOf(factor);
      if (typeof phone === "string") unusable.push({ type: phoneType, reason: phone });
      else if (!phones.some((p) => p.phone.e164 === phone.e164)) phones.push({ type: phoneType, phone });
      continue;
    }
    if (type === "email") {
      const address = typeof factor.profile?.email === "string" ? factor.profile.email.trim() : "";
      if (address === "") unusable.push({ type: "email", reason: "The Okta email factor shows no address." });
      else if (ownAddresses.has(address.toLowerCase())) {
        unusable.push({ type: "email", reason: "The Okta email factor sends to the account's own mailbox, which a caller who lost the account may not control; Verity does not send codes there." });
      } else if (!emails.some((e) => e.toLowerCase() === address.toLowerCase())) emails.push(address);
      continue;
    }
    if (!PROVIDER_FACTORS.has(type)) unusable.push({ type, reason: `Verity cannot use an Okta ${factorName(type)} factor.` });
  }
  // Okta has one SMS factor per user; a second mobile would come from another provider's SMS factor.
  const mobiles = phones.filter((p) => p.type === "mobile");
  const ordered = [
    ...mobiles.slice(0, 1),
    ...mobiles.slice(1).map((p) => ({ ...p, type: "alternateMobile" as const })),
    ...phones.filter((p) => p.type !== "mobile"),
  ].sort((a, b) => PHONE_TYPES.indexOf(a.type) - PHONE_TYPES.indexOf(b.type));
  return {
    ...identityOnly(user, input.organisation),
    phones: ordered,
    emails,
    groups: input.groups.map((g) => g.profile?.name ?? g.id),
    privileged: heldRoles(input.roles).length > 0,
    unusable,
    ...(input.manager === undefined || input.manager === null
      ? {}
      : { manager: { id: input.manager.id, displayName: displayNameOf(input.manager), email: input.manager.profile.email?.trim() || null } }),
  };
}

function phoneOf(factor: OktaDirectoryFactor) {
  const raw = factor.profile?.phoneNumber;
  const label = factor.factorType === "call" ? "voice-call" : "SMS";
  if (typeof raw !== "string" || raw.trim() === "") return `The Okta ${label} factor shows no phone number.`;
  if (/x{2,}/i.test(raw.replace(/[\s-]/g, "")) && /x/i.test(raw.replace(/\d/g, ""))) {
    return `Okta shows the ${label} factor's number masked, so Verity cannot send to it.`;
  }
  try {
    return normalisePhone(raw);
  } catch (error) {
    const why = isVerityError(error) && error.code === "INVALID_PHONE_NUMBER" ? error.message : "It is not a valid phone number.";
    return `The number of the Okta ${label} factor cannot be used. ${why}`;
  }
}

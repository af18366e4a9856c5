import { isVerityError } from "../../../domain/errors.js";
import { normalisePhone } from "../../../domain/phone.js";
import type { DirectoryPhone, DirectoryUser, PhoneType, UnusableFactor } from "../../../domain/ports.js";
import { PHONE_TYPES } from "../../../domain/ports.js";
import type { DirectoryRole, EmailMethod, GraphManager, GraphUser, PhoneMethod } from "./entra-schemas.js";

const PHONE_LABEL: Readonly<Record<PhoneType, string>> = {
  mobile: "mobile",
  alternateMobile: "alternate mobile",
  office: "office",
};

/** `"<tenant GUID>:<object id>"`: the id this adapter gives users, unique across tenants. */
export function compositeId(tenant: string, objectId: string): string {
  return `${tenant}:${objectId}`.toLowerCase();
}

const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const COMPOSITE = new RegExp(`^(${GUID}):(${GUID})$`, "i");
const BARE_GUID = new RegExp(`^${GUID}$`, "i");

/** The tenant and object id of a composite id, or undefined when `value` is not one. */
export function parseCompositeId(value: string): { tenant: string; objectId: string } | undefined {
  const match = COMPOSITE.exec(value.trim());
  return match?.[1] === undefined || match[2] === undefined ? undefined : { tenant: match[1].toLowerCase(), objectId: match[2].toLowerCase() };
}

/** Whether `value` is a bare object id (usable when the tenant is pinned). */
export function isObjectId(value: string): boolean {
  return BARE_GUID.test(value.trim());
}

/** The directory roles among `roles` that make a user privileged, by role template id. */
export function privilegedRoles(roles: readonly DirectoryRole[], privilegedTemplateIds: ReadonlySet<string>): DirectoryRole[] {
  return roles.filter((role) => {
    const template = role.roleTemplateId?.toLowerCase();
    // A role whose template Graph did not show cannot be cleared, so it counts as privileged.
    return template === undefined || privilegedTemplateIds.has(template);
  });
}

/** A role's name for people; roles Graph did not describe are named by what is missing. */
export function roleName(role: DirectoryRole): string {
  return role.displayName ?? "an unnamed directory role (grant RoleManagement.Read.Directory to see it)";
}

/**
 * Graph's view of a user and their authentication methods, as Verity's DirectoryUser. Phone
 * numbers (`+1 5555551234x123`) are normalised to E.164; a number that cannot be goes to
 * `unusable` with a reason that does not repeat it.
 */
export function toDirectoryUser(input: {
  readonly tenant: string;
  readonly user: GraphUser;
  readonly phoneMethods: readonly PhoneMethod[];
  readonly emailMethods: readonly EmailMethod[];
  readonly roles: readonly DirectoryRole[];
  readonly privilegedTemplateIds: ReadonlySet<string>;
  /** The tenant's organisation display name, when Graph gave it. */
  readonly organisation?: string | null;
  /** The user's manager as Graph expanded it (null: none set, or not read). */
  readonly manager?: GraphManager | null;
}): DirectoryUser {
  const phones: DirectoryPhone[] = [];
  const unusable: UnusableFactor[] = [];
  for (const method of input.phoneMethods) {
    const type = PHONE_TYPES.find((t) => t === method.phoneType);
    if (type === undefined) {
      unusable.push({ type: "phone", reason: `Entra lists a phone method of a type Verity does not know (${String(method.phoneType)}).` });
      continue;
    }
    if (method.phoneNumber === undefined || method.phoneNumber === null || method.phoneNumber.trim() === "") {
      unusable.push({ type, reason: `The ${PHONE_LABEL[type]} number in Entra is hidden or empty.` });
      continue;
    }
    try {
      phones.push({ type, phone: normalisePhone(method.phoneNumber) });
    } catch (error) {
      const why = isVerityError(error) && error.code === "INVALID_PHONE_NUMBER" ? error.message : "It is not a valid phone number.";
      unusable.push({ type, reason: `The ${PHONE_LABEL[type]} number registered in Entra cannot be used. ${why}` });
    }
  }
  phones.sort((a, b) => PHONE_TYPES.indexOf(a.type) - PHONE_TYPES.indexOf(b.type));
  const emails = [
    ...new Set(
      input.emailMethods.map((m) => m.emailAddress?.trim()).filter((address): address is string => address !== undefined && address !== ""),
    ),
  ];
  return {
    id: compositeId(input.tenant, input.user.id),
    upn: input.user.userPrincipalName,
    displayName: input.user.displayName ?? input.user.userPrincipalName,
    phones,
    emails,
    groups: input.roles.map(roleName),
    privileged: privilegedRoles(input.roles, input.privilegedTemplateIds).length > 0,
    providerIds: { entra: input.user.userPrincipalName },
    unusable,
    mail: input.user.mail ?? null,
    mailboxAddresses: (input.user.proxyAddresses ?? []).filter((a) => /^smtp:/i.test(a)).map((a) => a.slice(5)),
    samAccountName: input.user.onPremisesSamAccountName ?? null,
    organisation: input.organisation ?? null,
    ...(input.manager === undefined || input.manager === null ? {} : { manager: toManager(input.tenant, input.manager) }),
  };
}

/**
 * Graph's manager as Verity's: the id in the same composite form as users', the address from
 * `mail` only (a UPN is not always a mailbox, and an organisational contact has none).
 */
export function toManager(tenant: string, manager: GraphManager): NonNullable<DirectoryUser["manager"]> {
  const mail = manager.mail?.trim();
  return {
    id: compositeId(tenant, manager.id),
    displayName: manager.displayName?.trim() || manager.userPrincipalName || manager.mail || manager.id,
    email: mail === undefined || mail === "" ? null : mail,
  };
}

// Directory objects as Graph shows them, and which /users filters Graph serves only as advanced
// queries.
import type { FakeTenant, FakeUser } from "./fake-entra-types.js";
import { filterUses, parseFilter } from "./fake-odata.js";

export const USER_FILTER_FIELDS = ["userPrincipalName", "mail", "displayName", "id", "onPremisesSamAccountName"];

// User properties Graph filters only in advanced queries (Microsoft's "Advanced query capabilities"
// table, which marks every operator on onPremisesSamAccountName as needing them).
const ADVANCED_USER_FIELDS = ["onPremisesSamAccountName"];
const ADVANCED_HINT = "Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information";

/** Why a /users filter is refused without the advanced query parameters, if it is. */
export function advancedNeed(url: URL): string | undefined {
  const text = url.searchParams.get("$filter");
  if (text === null) return undefined;
  const uses = filterUses(parseFilter(text, USER_FILTER_FIELDS));
  const property = uses.properties.find((p) => ADVANCED_USER_FIELDS.includes(p));
  if (property !== undefined) return `Unsupported or invalid query filter clause specified for property '${property}' of resource 'User'.`;
  if (uses.operators.includes("ne")) return `Operator 'ne' is not supported because the required parameters might be missing. ${ADVANCED_HINT}`;
  return undefined;
}

/** The tenant's one organization object, shaped like Microsoft's List organization example. */
export function organizationResource(tenant: FakeTenant): Record<string, unknown> {
  return {
    id: tenant.id,
    deletedDateTime: null,
    businessPhones: [],
    city: null,
    country: null,
    countryLetterCode: "GB",
    createdDateTime: "2021-08-02T10:30:06Z",
    displayName: tenant.displayName ?? tenant.domains[0] ?? tenant.id,
    tenantType: "AAD",
    verifiedDomains: tenant.domains.map((name, i) => ({
      capabilities: "Email, OfficeCommunicationsOnline",
      isDefault: i === 0,
      isInitial: name.includes(".onmicrosoft."),
      name,
      type: "Managed",
    })),
  };
}

/** A user with the properties the fake serves; `$select` picks from them. */
export function userResource(user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    businessPhones: [],
    displayName: user.displayName ?? user.userPrincipalName,
    givenName: null,
    jobTitle: null,
    mail: user.mail ?? null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: null,
    userPrincipalName: user.userPrincipalName,
    accountEnabled: user.accountEnabled ?? true,
    onPremisesSamAccountName: user.onPremisesSamAccountName ?? null,
    proxyAddresses: user.proxyAddresses ?? (user.mail ? [`SMTP:${user.mail}`] : []),
  };
}

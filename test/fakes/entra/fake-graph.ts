import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeState, FakeTenant, FakeUser, IssuedToken } from "./fake-entra-types.js";
import { PHONE_METHOD_IDS, ROLE_NAMES } from "./fake-entra-types.js";
import { sendJson } from "./fake-login.js";
import { advancedNeed, organizationResource, USER_FILTER_FIELDS, userResource } from "./fake-directory-objects.js";
import { matches, ODataError, parseFilter } from "./fake-odata.js";
import { SEARCH_NEEDS_EVENTUAL, SearchError, searchOf } from "./fake-search.js";
import { handleSendMail, type FakeSentMail } from "./fake-sendmail.js";

const READ_ALL_METHODS = ["UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"];
const PERMISSIONS = {
  users: ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
  phoneMethods: [...READ_ALL_METHODS, "UserAuthMethod-Phone.Read.All", "UserAuthMethod-Phone.ReadWrite.All"],
  emailMethods: [...READ_ALL_METHODS, "UserAuthMethod-Email.Read.All", "UserAuthMethod-Email.ReadWrite.All"],
  microsoftAuthenticatorMethods: [...READ_ALL_METHODS, "UserAuthMethod-MicrosoftAuthApp.Read.All"],
  roleDetails: ["RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All"],
  audits: ["AuditLog.Read.All"],
  organization: ["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
} as const;
const DEFAULT_USER_FIELDS = [
  ...["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone"],
  ...["officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"],
];
const AUDIT_FILTER_FIELDS = [
  ...["activityDateTime", "activityDisplayName", "category", "result", "loggedByService", "initiatedBy/user/id"],
  ...["targetResources/any", "$lambda/id", "$lambda/displayName"],
];
const ROLE_FIELDS = ["@odata.type", "id", "deletedDateTime", "description", "displayName", "roleTemplateId"];

/** Graph's error envelope. */
export function graphError(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const id = randomUUID();
  const innerError = { date: new Date().toISOString().slice(0, 19), "request-id": id, "client-request-id": id };
  sendJson(response, status, { error: { code, message, innerError } }, headers);
}

/** Handles one Graph request (path without the /graph prefix). */
export function handleGraph(
  state: FakeState & { readonly sentMail: FakeSentMail[] },
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  path: string,
  nextLinkFor: (path: string) => string | undefined,
  body = "",
): void {
  const token = bearer(state, request, response);
  if (token === undefined) return;
  const tenant = state.tenant(token.tenant);
  if (tenant === undefined) return graphError(response, 401, "InvalidAuthenticationToken", "Access token validation failure.");
  const segments = path.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
  if (request.method === "POST" && segments.length === 4 && segments[0] === "v1.0" && segments[1] === "users" && segments[3] === "sendMail") {
    return handleSendMail(state, response, tenant, token, segments[2] ?? "", body);
  }
  if (request.method !== "GET" || segments[0] !== "v1.0") return graphError(response, 405, "Request_BadRequest", "Only v1.0 reads are served by this fake.");
  const [, resource, id, ...rest] = segments;
  const allowed = (needed: readonly string[]) => {
    if (needed.some((p) => token.roles.includes(p))) return true;
    const methods = resource === "users" && rest[0] === "authentication";
    // The authentication-methods API's 403 code differs from the directory's (UNCONFIRMED exact code).
    if (methods) graphError(response, 403, "accessDenied", "Request Authorization failed");
    else graphError(response, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    return false;
  };
  // An advanced query needs both the header and $count=true ($search only the header); then
  // collections carry @odata.count.
  const eventual = String(request.headers.consistencylevel ?? "").toLowerCase() === "eventual";
  const advanced = eventual && url.searchParams.get("$count") === "true";
  const collection = (items: unknown[], context: string) =>
    page(state, response, url, path, items, context, nextLinkFor(`/graph${path}`), advanced ? items.length : undefined);
  try {
    if (resource === "auditLogs" && id === "directoryAudits" && rest.length === 0) {
      if (!allowed(PERMISSIONS.audits)) return;
      if (tenant.premium === false) {
        return graphError(response, 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license");
      }
      const audits = auditItems(tenant).filter(filterOf(url, AUDIT_FILTER_FIELDS));
      return collection(audits, "auditLogs/directoryAudits");
    }
    if (resource === "organization" && id === undefined) {
      if (!allowed(PERMISSIONS.organization)) return;
      const organization = organizationResource(tenant);
      return collection([select(organization, url, Object.keys(organization))], "organization");
    }
    if (resource !== "users") return graphError(response, 400, "BadRequest", `Resource not found for the segment '${resource ?? ""}'.`);
    if (id === undefined) {
      if (!allowed(PERMISSIONS.users)) return;
      if (url.searchParams.has("$search") && !eventual) return graphError(response, 400, "Request_UnsupportedQuery", SEARCH_NEEDS_EVENTUAL);
      const needs = advanced ? undefined : advancedNeed(url);
      if (needs !== undefined) return graphError(response, 400, "Request_UnsupportedQuery", needs);
      const users = (tenant.users ?? []).map(userResource).filter(filterOf(url, USER_FILTER_FIELDS)).filter(searchOf(url));
      return collection(users.map((u) => select(u, url, DEFAULT_USER_FIELDS)), "users");
    }
    const user = (tenant.users ?? []).find((u) => u.id.toLowerCase() === id.toLowerCase() || u.userPrincipalName.toLowerCase() === id.toLowerCase());
    if (user === undefined) {
      const message = `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`;
      return graphError(response, 404, "Request_ResourceNotFound", message);
    }
    const sub = rest.join("/");
    if (sub === "") {
      if (!allowed(PERMISSIONS.users)) return;
      const context = `${state.graphUrl}/v1.0/$metadata#users/$entity`;
      const expanded = expandManager(tenant, user, url);
      if (typeof expanded === "string") return graphError(response, 400, "Request_BadRequest", expanded);
      return sendJson(response, 200, { "@odata.context": context, ...select(userResource(user), url, DEFAULT_USER_FIELDS), ...expanded });
    }
    if (sub === "manager") {
      if (!allowed(PERMISSIONS.users)) return;
      const manager = managerOf(tenant, user);
      // The 404 for a user without a manager is UNCONFIRMED (PROVIDERS.md 12); Graph's usual not-found envelope is assumed.
      if (manager === undefined) return graphError(response, 404, "Request_ResourceNotFound", `Resource 'manager' does not exist or one of its queried reference-property objects are not present.`);
      const context = `${state.graphUrl}/v1.0/$metadata#directoryObjects/$entity`;
      return sendJson(response, 200, { "@odata.context": context, "@odata.type": "#microsoft.graph.user", ...select(userResource(manager), url, DEFAULT_USER_FIELDS) });
    }
    if (sub === "authentication/phoneMethods") {
      if (!allowed(PERMISSIONS.phoneMethods)) return;
      return collection(phoneItems(user), "phoneMethods");
    }
    if (sub === "authentication/emailMethods") {
      if (!allowed(PERMISSIONS.emailMethods)) return;
      return collection(
        (user.emails ?? []).map((emailAddress, i) => ({ id: stableId(user.id, `email${i}`), emailAddress })),
        "emailMethods",
      );
    }
    if (sub === "authentication/microsoftAuthenticatorMethods") {
      if (!allowed(PERMISSIONS.microsoftAuthenticatorMethods)) return;
      return collection(authenticatorItems(user), "microsoftAuthenticatorMethods");
    }
    if (sub === "transitiveMemberOf/microsoft.graph.directoryRole") {
      if (!allowed(PERMISSIONS.users)) return;
      const detailed = PERMISSIONS.roleDetails.some((p) => token.roles.includes(p));
      const roles = (user.roles ?? []).map((templateId) => {
        const base = { "@odata.type": "#microsoft.graph.directoryRole", id: stableId(tenant.id, templateId) };
        // Without a role-reading permission Graph lists memberships it cannot describe (UNCONFIRMED detail).
        if (!detailed) return base;
        const role = { ...base, deletedDateTime: null, description: "", displayName: ROLE_NAMES[templateId] ?? "Custom role", roleTemplateId: templateId };
        return select(role, url, ROLE_FIELDS);
      });
      return collection(roles, "directoryRoles");
    }
    return graphError(response, 400, "BadRequest", `Resource not found for the segment '${rest[0] ?? ""}'.`);
  } catch (error) {
    if (error instanceof ODataError) return graphError(response, 400, "BadRequest", `Invalid filter clause: ${error.message}`);
    // Graph's code and wording for a malformed $search are UNCONFIRMED.
    if (error instanceof SearchError) return graphError(response, 400, "BadRequest", `Invalid search expression: ${error.message}`);
    throw error;
  }
}

function managerOf(tenant: FakeTenant, user: FakeUser): FakeUser | undefined {
  return user.manager === undefined ? undefined : tenant.users?.find((u) => u.id === user.manager);
}

/**
 * `$expand=manager` or `$expand=manager($levels=n;$select=…)` on a user (List manager): the
 * immediate manager inlined, absent when none is set. Graph's docs say `$levels` is required
 * once `$select` appears inside the expansion; the exact 400 wording is UNCONFIRMED.
 */
function expandManager(tenant: FakeTenant, user: FakeUser, url: URL): Record<string, unknown> | string {
  const expand = url.searchParams.get("$expand");
  if (expand === null) return {};
  const match = /^manager(?:\((.*)\))?$/.exec(expand.trim());
  if (match === null) return `Could not find a property named '${expand.split("(")[0] ?? expand}' on type 'microsoft.graph.user'.`;
  const options = new Map(
    (match[1] ?? "")
      .split(";")
      .filter((o) => o.trim() !== "")
      .map((o) => {
        const eq = o.indexOf("=");
        return [o.slice(0, eq).trim(), o.slice(eq + 1).trim()] as const;
      }),
  );
  if (options.has("$select") && !options.has("$levels")) return "The $levels parameter is required when $select is used inside $expand=manager.";
  const manager = managerOf(tenant, user);
  if (manager === undefined) return {};
  const fields = options.get("$select")?.split(",").map((f) => f.trim()) ?? DEFAULT_USER_FIELDS;
  const resource = userResource(manager);
  const picked = Object.fromEntries(Object.entries(resource).filter(([key]) => key === "id" || fields.includes(key)));
  return { manager: { "@odata.type": "#microsoft.graph.user", ...picked } };
}

function phoneItems(user: FakeUser): Record<string, unknown>[] {
  return (user.phones ?? []).map((p) => ({
    id: PHONE_METHOD_IDS[p.type] ?? randomUUID(),
    phoneNumber: p.number,
    phoneType: p.type,
    smsSignInState: p.type === "mobile" ? "ready" : "notSupported",
  }));
}

function authenticatorItems(user: FakeUser): Record<string, unknown>[] {
  return (user.authenticators ?? []).map((a, i) => ({
    id: stableId(user.id, `mfa${i}`),
    createdDateTime: "2026-01-05T10:00:00Z",
    deviceTag: "SoftwareTokenActivated",
    phoneAppVersion: "6.2401.0119",
    ...a,
  }));
}

function bearer(state: FakeState, request: IncomingMessage, response: ServerResponse): IssuedToken | undefined {
  const header = request.headers.authorization ?? "";
  const value = /^Bearer (.+)$/i.exec(header)?.[1];
  if (value === undefined) {
    graphError(response, 401, "InvalidAuthenticationToken", "Access token is empty.");
    return undefined;
  }
  const token = state.tokens.get(value);
  if (token === undefined) {
    graphError(response, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
    return undefined;
  }
  if (token.expiresAt <= state.now().getTime()) {
    graphError(response, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
    return undefined;
  }
  return token;
}

function filterOf(url: URL, fields: readonly string[]): (item: unknown) => boolean {
  const text = url.searchParams.get("$filter");
  if (text === null) return () => true;
  const tree = parseFilter(text, fields);
  return (item) => matches(tree, item);
}

function select<T extends Record<string, unknown>>(item: T, url: URL, defaults: readonly string[]): Record<string, unknown> {
  const requested = url.searchParams.get("$select")?.split(",").map((f) => f.trim());
  const fields = new Set([...(requested ?? defaults), "id", "@odata.type"]);
  return Object.fromEntries(Object.entries(item).filter(([key]) => fields.has(key)));
}

function auditItems(tenant: FakeTenant): Record<string, unknown>[] {
  return (tenant.audits ?? [])
    .map((audit, i) => {
      const target = tenant.users?.find((u) => u.id === audit.targetId);
      const at = typeof audit.activityDateTime === "string" ? audit.activityDateTime : audit.activityDateTime.toISOString();
      return {
        id: `Directory_${stableId(tenant.id, `audit${i}`)}`,
        category: audit.category ?? "UserManagement",
        correlationId: stableId(tenant.id, `corr${i}`),
        result: audit.result ?? "success",
        resultReason: "",
        activityDisplayName: audit.activityDisplayName,
        activityDateTime: at,
        loggedByService: "Authentication Methods",
        operationType: "Update",
        initiatedBy: { user: { id: audit.targetId, userPrincipalName: target?.userPrincipalName ?? null }, app: null },
        targetResources: [
          {
            id: audit.targetId,
            displayName: null,
            type: "User",
            userPrincipalName: target?.userPrincipalName ?? null,
            // Real events carry the old and new phone numbers here; the adapter must never surface them.
            modifiedProperties: [
              { displayName: "StrongAuthenticationPhoneAppDetail", oldValue: "[]", newValue: `[{"PhoneNumber":"${target?.phones?.[0]?.number ?? ""}"}]` },
            ],
          },
        ],
        additionalDetails: [],
      };
    })
    .sort((a, b) => Date.parse(b.activityDateTime) - Date.parse(a.activityDateTime));
}

function page(
  state: FakeState,
  response: ServerResponse,
  url: URL,
  path: string,
  items: unknown[],
  context: string,
  override: string | undefined,
  count: number | undefined,
): void {
  const top = Number(url.searchParams.get("$top") ?? Number.NaN);
  const size = Math.max(1, Math.min(Number.isFinite(top) ? top : Number.POSITIVE_INFINITY, state.options.pageSize ?? 100));
  const offset = Number(url.searchParams.get("$skiptoken") ?? 0);
  const value = items.slice(offset, offset + size);
  let nextLink: string | undefined;
  if (offset + size < items.length) {
    const params = new URLSearchParams(url.searchParams);
    params.set("$skiptoken", String(offset + size));
    nextLink = `${state.graphUrl}${path}?${params.toString()}`;
  }
  nextLink = override ?? nextLink;
  const link = nextLink === undefined ? {} : { "@odata.nextLink": nextLink };
  const counted = count === undefined ? {} : { "@odata.count": count };
  sendJson(response, 200, { "@odata.context": `${state.graphUrl}/v1.0/$metadata#${context}`, ...counted, value, ...link });
}

function stableId(scope: string, name: string): string {
  const hex = createHash("sha256").update(`${scope}/${name}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

import { VerityError } from "../../../domain/errors.js";
import { graphPageSchema, graphUserSchema, type GraphUser } from "./entra-schemas.js";
import type { GraphClient, GraphRead } from "./graph-client.js";

/** The user properties every Entra read selects: what `toDirectoryUser` maps. */
export const USER_FIELDS = "id,displayName,userPrincipalName,mail,onPremisesSamAccountName,accountEnabled,proxyAddresses";
const PERMISSION = "User.Read.All";
// Characters Active Directory refuses in a sAMAccountName, plus `@` (that is a UPN or mail).
const ACCOUNT_NAME = /^[^"/\\[\]:;|=,+*?<>@\p{Cc}]{1,64}$/u;

/** Whether `value` could be an on-premises account name (or a UPN's part before the `@`). */
export function isAccountName(value: string): boolean {
  return ACCOUNT_NAME.test(value);
}

/** How the Entra directory finds one user in one Entra tenant. */
export interface EntraUserLookup {
  /** By object id; null when the tenant has no such user. */
  byId(tenant: string, objectId: string): Promise<GraphUser | null>;
  /** By UPN or mail in one filtered call; a UPN match wins over another user's mail. */
  byName(tenant: string, name: string): Promise<GraphUser | null>;
  /**
   * By on-premises account name or UPN prefix (`jdoe` for `jdoe@contoso.com`), both asked at once.
   * @throws VerityError USER_AMBIGUOUS when they name more than one user between them
   */
  byAccountName(tenant: string, name: string): Promise<GraphUser | null>;
}

/** `value` as the inside of an OData string literal: single quotes doubled. */
export const literal = (value: string) => value.replace(/'/g, "''");
const usersWhere = (filter: string, extra = "") => `/users?$filter=${encodeURIComponent(filter)}&$select=${USER_FIELDS}${extra}`;

export function createEntraUserLookup(graph: GraphClient): EntraUserLookup {
  const read = (tenant: string, path: string, advanced = false): GraphRead => ({
    tenant,
    path,
    permission: PERMISSION,
    ...(advanced ? { consistencyLevel: "eventual" as const } : {}),
  });

  // One page of at most two users is enough to tell one match from several.
  const firstTwo = async (request: GraphRead): Promise<GraphUser[]> => (await graph.get(request, graphPageSchema(graphUserSchema)))?.value ?? [];

  return {
    byId(tenant, objectId) {
      return graph.get(read(tenant, `/users/${encodeURIComponent(objectId)}?$select=${USER_FIELDS}`), graphUserSchema);
    },

    async byName(tenant, name) {
      const found = await graph.list(read(tenant, usersWhere(`userPrincipalName eq '${literal(name)}' or mail eq '${literal(name)}'`)), graphUserSchema);
      const wanted = name.toLowerCase();
      // A UPN and another user's mail can coincide; the UPN is the account the caller named.
      return found.find((u) => u.userPrincipalName.toLowerCase() === wanted) ?? found.find((u) => u.mail?.toLowerCase() === wanted) ?? null;
    },

    async byAccountName(tenant, name) {
      const wanted = name.toLowerCase();
      // Graph filters onPremisesSamAccountName only as an advanced query (ConsistencyLevel:
      // eventual and $count=true); without them it answers 400 Request_UnsupportedQuery.
      const [bySam, byPrefix] = await Promise.all([
        firstTwo(read(tenant, usersWhere(`onPremisesSamAccountName eq '${literal(name)}'`, "&$count=true&$top=2"), true)),
        firstTwo(read(tenant, usersWhere(`startswith(userPrincipalName,'${literal(name)}@')`, "&$top=2"))),
      ]);
      const matches = new Map<string, GraphUser>();
      for (const user of bySam) if (user.onPremisesSamAccountName?.toLowerCase() === wanted) matches.set(user.id, user);
      for (const user of byPrefix) if (user.userPrincipalName.toLowerCase().startsWith(`${wanted}@`)) matches.set(user.id, user);
      const users = [...matches.values()];
      if (users.length > 1) {
        throw new VerityError("USER_AMBIGUOUS", {
          message: `More than one Entra user matches '${name.slice(0, 100)}' by on-premises account name or UPN prefix (${users.map((u) => u.userPrincipalName).join(", ")}). Use the UPN or email.`,
        });
      }
      return users[0] ?? null;
    },
  };
}

import { VerityError } from "../../../domain/errors.js";
import { graphPageSchema, graphUserSchema, type GraphUser } from "./entra-schemas.js";
import type { GraphClient, GraphRead } from "./graph-client.js";
import { isAccountName, literal, USER_FIELDS } from "./entra-user-lookup.js";
import { isDomainName } from "./tenant-resolver.js";

/** Graph's largest `$top` for users. */
const MAX_TOP = 999;
const MAX_LENGTH = 256;
const PERMISSION = "User.Read.All";
const SEARCHED = ["displayName", "mail", "userPrincipalName"] as const;
// Control characters have no place in a name. `&` in a $search value on directory objects is a
// known issue Microsoft documents on "Use the $search query parameter", so it is never sent.
const UNSEARCHABLE = /[\p{Cc}&]/u;

/**
 * One `$search` clause, `"property:text"`. Graph's rule: the clause sits in double quotes, and a
 * double quote or backslash inside it is escaped with a backslash; the rest is percent-encoded
 * with the whole parameter.
 */
export function searchClause(property: string, text: string): string {
  return `"${property}:${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * `"displayName:q" OR "mail:q" OR "userPrincipalName:q"`. Graph matches displayName by tokens
 * (each word of `q` a prefix of a word of the name, in any order, any case) and every other
 * property as `startsWith`.
 */
export function searchExpression(text: string): string {
  return SEARCHED.map((property) => searchClause(property, text)).join(" OR ");
}

/** @throws VerityError SEARCH_QUERY_UNSUPPORTED for text Graph cannot be asked to search for. */
export function assertSearchable(text: string): void {
  if (text.length > MAX_LENGTH) {
    throw new VerityError("SEARCH_QUERY_UNSUPPORTED", { message: `Microsoft Entra search takes at most ${MAX_LENGTH} characters.` });
  }
  if (UNSEARCHABLE.test(text)) {
    throw new VerityError("SEARCH_QUERY_UNSUPPORTED", {
      message: "Microsoft Entra search cannot take '&' or control characters; search without them, or look the caller up by their exact email.",
    });
  }
}

/**
 * The Entra tenant a search reads: the directory's own when it has one; for a catch-all
 * directory, the tenant that verified the email domain in the query, since a name alone does not
 * say which client it belongs to.
 * @throws VerityError SEARCH_NEEDS_EMAIL when a catch-all directory is given no email domain.
 */
export async function searchTenant(text: string, fixed: string | undefined, resolve: (domain: string) => Promise<string>): Promise<string> {
  if (fixed !== undefined) return fixed;
  const at = text.lastIndexOf("@");
  const domain = at < 0 ? "" : text.slice(at + 1).toLowerCase();
  if (at <= 0 || !isDomainName(domain)) {
    throw new VerityError("SEARCH_NEEDS_EMAIL", {
      message: "This Microsoft Entra directory serves every client tenant (*); type the caller's email to search a client tenant.",
    });
  }
  return resolve(domain);
}

/** How the Entra directory searches one tenant's users as a technician types. */
export interface EntraSearch {
  /**
   * At most `limit` users of `tenant` matching `text` by display name, mail or UPN (one `$search`
   * read), and by exact on-premises account name (a second read at the same time) when `text`
   * could be one; account-name matches first, each user once. Only the first page is read.
   * @throws VerityError SEARCH_QUERY_UNSUPPORTED
   */
  users(tenant: string, text: string, limit: number): Promise<GraphUser[]>;
}

export function createEntraSearch(graph: GraphClient): EntraSearch {
  const page = graphPageSchema(graphUserSchema);
  const firstPage = async (read: GraphRead): Promise<GraphUser[]> => (await graph.get(read, page))?.value ?? [];

  return {
    async users(tenant, text, limit) {
      assertSearchable(text);
      const top = Math.min(MAX_TOP, Math.floor(limit));
      if (text === "" || !(top >= 1)) return [];
      // $search on directory objects is an advanced query: without `ConsistencyLevel: eventual`
      // Graph answers 400. $search needs no $count=true; the account-name filter does.
      const read = (query: string): GraphRead => ({
        tenant,
        path: `/users?${query}&$select=${USER_FIELDS}&$count=true&$top=${top}`,
        permission: PERMISSION,
        consistencyLevel: "eventual",
      });
      const byAccountName = isAccountName(text) && !/\s/.test(text);
      const [exact, searched] = await Promise.all([
        byAccountName ? firstPage(read(`$filter=${encodeURIComponent(`onPremisesSamAccountName eq '${literal(text)}'`)}`)) : [],
        firstPage(read(`$search=${encodeURIComponent(searchExpression(text))}`)),
      ]);
      const users = new Map<string, GraphUser>();
      for (const user of [...exact, ...searched]) if (!users.has(user.id)) users.set(user.id, user);
      return [...users.values()].slice(0, top);
    },
  };
}

import { VerityError } from "../domain/errors.js";
import { maskEmail } from "../domain/masking.js";
import { VERIFYING_ROLES } from "../domain/roles.js";
import { assertRole, type Actor } from "./actor.js";
import type { EngineDeps } from "./engine-deps.js";

/**
 * One caller found by a search: enough to pick the right person, nothing to reach them with.
 * Search results carry identity only (privilege and factors come with the caller card).
 */
export interface CallerMatch {
  readonly tenant: { readonly id: string; readonly name: string };
  /** The directory id: what the verify screen looks the caller up by. */
  readonly id: string;
  readonly displayName: string;
  readonly upn: string;
}

export interface SearchResult {
  readonly matches: readonly CallerMatch[];
  /** Tenants whose directory could not be searched, with why (shown, never hidden). */
  readonly unavailable: readonly { readonly tenant: string; readonly reason: string }[];
}

/**
 * Searches every directory the actor may use, in parallel, as the technician types. A directory
 * that cannot answer is reported beside the others' results rather than failing the search.
 */
export async function searchCallers(deps: Pick<EngineDeps, "tenants">, actor: Actor, query: string, limit = 20): Promise<SearchResult> {
  assertRole(actor, ...VERIFYING_ROLES);
  const text = query.trim();
  if (text.length < 2) throw new VerityError("VALIDATION_FAILED", { message: "Type at least two characters to search." });
  const tenants = deps.tenants.all().filter((t) => actor.tenants === null || actor.tenants.includes(t.id));
  const settled = await Promise.all(
    tenants.map(async (tenant) => {
      if (tenant.directory.search === undefined) return { tenant, users: [], reason: "its directory cannot be searched; type the caller's email" };
      try {
        return { tenant, users: await tenant.directory.search(text, limit), reason: null };
      } catch (error) {
        return { tenant, users: [], reason: error instanceof Error ? error.message : "the directory did not answer" };
      }
    }),
  );
  const matches = settled
    .flatMap(({ tenant, users }) =>
      users.map((u) => ({ tenant: { id: tenant.id, name: tenant.name }, id: u.id, displayName: u.displayName, upn: maskEmail(u.upn) })),
    )
    .sort((a, b) => a.displayName.localeCompare(b.displayName))
    .slice(0, limit);
  const unavailable = settled.filter((s) => s.reason !== null).map((s) => ({ tenant: s.tenant.name, reason: s.reason ?? "" }));
  return { matches, unavailable };
}

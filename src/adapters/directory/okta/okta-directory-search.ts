import { VerityError } from "../../../domain/errors.js";

const MAX_LENGTH = 100;
/** Okta's largest page of users. */
export const MAX_USERS_PAGE = 200;
// Quotes and backslashes would need escaping rules Okta does not document for search values.
const UNSEARCHABLE = /["\\\p{Cc}]/u;

/** A double-quoted value for an Okta `search` expression; only text assertSearchable let through. */
const quoted = (text: string) => `"${text}"`;

/** @throws VerityError SEARCH_QUERY_UNSUPPORTED for text Okta cannot be asked to search for. */
export function assertSearchable(text: string): void {
  if (text.length > MAX_LENGTH) {
    throw new VerityError("SEARCH_QUERY_UNSUPPORTED", { message: `Okta search takes at most ${MAX_LENGTH} characters.` });
  }
  if (UNSEARCHABLE.test(text)) {
    throw new VerityError("SEARCH_QUERY_UNSUPPORTED", { message: "Okta search cannot take quotes, backslashes or control characters; search without them." });
  }
}

/** Whether `text` could be put in an exact-match expression (an email lookup). */
export function isSearchableValue(text: string): boolean {
  return text !== "" && text.length <= 256 && !UNSEARCHABLE.test(text);
}

/** `profile.email eq "jane@acme.com"`: who has this primary email (Okta matches case-insensitively). */
export function emailExpression(email: string): string {
  return `profile.email eq ${quoted(email)}`;
}

/**
 * An Okta `search` expression for text a technician types: one word matches the start of the
 * first name, last name, email, login or display name (`sw`); two or more words match a first
 * name starting with the first word and a last name starting with the rest, or a display name
 * starting with the whole text. `search` (unlike `q`) pages with `Link` headers and can reach
 * DEPROVISIONED users; results are eventually consistent with recent changes.
 */
export function searchExpression(text: string): string {
  const words = text.split(/\s+/).filter((w) => w !== "");
  if (words.length <= 1) {
    const value = quoted(text);
    return ["profile.firstName", "profile.lastName", "profile.email", "profile.login", "profile.displayName"].map((a) => `${a} sw ${value}`).join(" or ");
  }
  const [first = "", ...rest] = words;
  return `(profile.firstName sw ${quoted(first)} and profile.lastName sw ${quoted(rest.join(" "))}) or profile.displayName sw ${quoted(words.join(" "))}`;
}

/** The path of a users search: `/api/v1/users?search=…&limit=…`. */
export function usersSearchPath(expression: string, limit: number): string {
  const query = new URLSearchParams({ search: expression, limit: String(Math.min(MAX_USERS_PAGE, Math.max(1, Math.floor(limit)))) });
  return `/api/v1/users?${query.toString().replace(/\+/g, "%20")}`;
}

import type { DirectoryManager, DirectoryUser } from "./ports.js";

/** A manager Verity may write to, with the address checked. */
export interface UsableManager extends DirectoryManager {
  readonly email: string;
}

/**
 * Every address that reaches the caller's own account: UPN, primary mail, mailbox aliases and the
 * registered alternate addresses, lower-cased. A manager whose address is among them is the caller.
 */
export function callersOwnAddresses(user: Pick<DirectoryUser, "upn" | "mail" | "mailboxAddresses" | "emails">): Set<string> {
  return new Set(
    [user.upn, user.mail ?? "", ...(user.mailboxAddresses ?? []), ...user.emails].map((a) => a.trim().toLowerCase()).filter((a) => a !== ""),
  );
}

/**
 * The caller's manager when Verity may ask them anything, else why not, in words for the
 * technician. A manager with no address, or whose address is one of the caller's own (a directory
 * error, or a caller set as their own manager), is no manager: an approval sent there would be
 * answered by whoever holds the caller's account.
 */
export function usableManager(user: DirectoryUser): { manager: UsableManager } | { reason: string } {
  const manager = user.manager;
  if (manager === undefined) return { reason: `The directory names no manager for ${user.displayName}.` };
  if (manager.id === user.id) return { reason: `The directory names ${user.displayName} as their own manager.` };
  const email = manager.email?.trim() ?? "";
  if (email === "") return { reason: `${user.displayName}'s manager (${manager.displayName}) has no email address in the directory.` };
  if (callersOwnAddresses(user).has(email.toLowerCase())) {
    return { reason: `The address the directory gives ${user.displayName}'s manager is one of the caller's own, so the caller would answer for the manager.` };
  }
  return { manager: { id: manager.id, displayName: manager.displayName, email } };
}

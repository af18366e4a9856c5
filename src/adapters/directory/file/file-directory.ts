import { readFile, stat } from "node:fs/promises";
import { isVerityError, VerityError } from "../../../domain/errors.js";
import { normalisePhone } from "../../../domain/phone.js";
import type { Directory, DirectoryPhone, DirectoryUser, PhoneType, UnusableFactor } from "../../../domain/ports.js";
import { PHONE_TYPES } from "../../../domain/ports.js";
import { probeWith } from "../../shared/probe.js";
import { readRows } from "./file-directory-rows.js";
import { fileUserSchema } from "./file-directory-schema.js";

export interface FileDirectoryOptions {
  readonly path: string;
  readonly defaultCountry?: string | undefined;
}

export interface FileDirectory extends Directory {
  /** Reads and validates the file now; throws DIRECTORY_INVALID listing every problem. */
  load(): Promise<number>;
}

interface Snapshot {
  readonly mtimeMs: number;
  readonly size: number;
  /** Every lookup key, lower-cased, with the users it names (more than one only for shared secondary keys). */
  readonly index: ReadonlyMap<string, readonly DirectoryUser[]>;
  /** Every user with the text a search matches (name, UPN, mail, account name, provider ids). */
  readonly searchable: readonly { readonly text: string; readonly user: DirectoryUser }[];
  readonly count: number;
}

/**
 * A directory kept in a YAML or CSV file (chosen by extension). The file is validated as a whole
 * on load, and re-read when it changes on disk, so an edit takes effect without a restart; a
 * broken edit keeps the last good copy in service and is reported.
 *
 * Users are found by `id`, `upn` or `mail` (each names one user: the file is refused otherwise),
 * or by `samAccountName` or any of their `providerIds`, the ids technicians type from habit. Those
 * may be shared between users (one's account name is another's VIP id); such a query is refused
 * with USER_AMBIGUOUS rather than answered with a guess.
 */
export function createFileDirectory(options: FileDirectoryOptions): FileDirectory {
  let current: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;

  const read = async (): Promise<Snapshot> => {
    const info = await stat(options.path).catch(() => {
      throw new VerityError("DIRECTORY_INVALID", { message: `Directory file ${options.path} cannot be read.` });
    });
    const content = await readFile(options.path, "utf8");
    const users = parseUsers(content, options);
    const index = new Map<string, DirectoryUser[]>();
    for (const user of users) {
      for (const key of new Set([...user.primaryKeys, ...user.secondaryKeys])) {
        const named = index.get(key);
        if (named === undefined) index.set(key, [user.entry]);
        else named.push(user.entry);
      }
    }
    const searchable = users
      .map((u) => ({ text: [u.entry.displayName, ...u.primaryKeys, ...u.secondaryKeys].join("\n").toLowerCase(), user: u.entry }))
      .sort((a, b) => a.user.displayName.localeCompare(b.user.displayName));
    return { mtimeMs: info.mtimeMs, size: info.size, index, searchable, count: users.length };
  };

  const snapshot = async (): Promise<Snapshot> => {
    if (current !== undefined) {
      const info = await stat(options.path).catch(() => undefined);
      if (info === undefined || (info.mtimeMs === current.mtimeMs && info.size === current.size)) return current;
    }
    loading ??= read().finally(() => {
      loading = undefined;
    });
    try {
      current = await loading;
    } catch (error) {
      if (current === undefined) throw error;
    }
    return current;
  };

  return {
    async load() {
      current = await read();
      return current.count;
    },
    async findUser(query) {
      const { index } = await snapshot();
      const wanted = query.trim();
      const named = index.get(wanted.toLowerCase()) ?? [];
      if (named.length > 1) {
        const upns = named.slice(0, 5).map((u) => u.upn);
        throw new VerityError("USER_AMBIGUOUS", {
          message: `More than one user in the directory file matches '${wanted.slice(0, 100)}' (${upns.join(", ")}): an account name or provider id is shared. Use the UPN or email.`,
        });
      }
      return named[0] ?? null;
    },
    async search(query, limit) {
      const words = query.trim().toLowerCase().split(/\s+/).filter((w) => w !== "");
      if (words.length === 0) return [];
      const { searchable } = await snapshot();
      return searchable.filter((s) => words.every((w) => s.text.includes(w))).slice(0, limit).map((s) => s.user);
    },
    riskSignals() {
      return Promise.resolve([]);
    },
    // Reads the file afresh: lookups keep serving the last good copy of a broken edit, a test must not.
    probe: () =>
      probeWith(async () => {
        try {
          const { count } = await read();
          return `The directory file ${options.path} is valid and lists ${count} user${count === 1 ? "" : "s"}; edits to it take effect without a restart.`;
        } catch (error) {
          throw withFirstProblem(error);
        }
      }),
  };
}

/** DIRECTORY_INVALID with its first problem in the message, where a test result has room for no more. */
function withFirstProblem(error: unknown): unknown {
  if (!isVerityError(error) || !Array.isArray(error.details)) return error;
  const first = error.details[0] as { path?: unknown; message?: unknown } | undefined;
  if (typeof first?.path !== "string" || typeof first.message !== "string") return error;
  return new VerityError(error.code, { message: `${error.message}; the first: ${first.path}: ${first.message}. Lookups use the last valid copy until it is fixed.` });
}

interface ParsedUser {
  readonly row: number;
  /** The `manager` the row names, as written; resolved once every row is read. */
  readonly managerKey: string | undefined;
  /** id, upn and mail, lower-cased: each names this user alone. */
  readonly primaryKeys: readonly string[];
  /** samAccountName and provider ids, lower-cased: other users may share them. */
  readonly secondaryKeys: readonly string[];
  readonly entry: DirectoryUser;
}

function parseUsers(content: string, options: FileDirectoryOptions): ParsedUser[] {
  const problems: { path: string; message: string }[] = [];
  let rows: unknown[];
  let organisation: string | null;
  try {
    ({ rows, organisation } = readRows(content, options.path));
  } catch (error) {
    throw new VerityError("DIRECTORY_INVALID", {
      message: `Directory file ${options.path}: ${error instanceof Error ? error.message : "unreadable"}`,
    });
  }
  const users: ParsedUser[] = [];
  const seen = new Map<string, number>();
  rows.forEach((raw, i) => {
    const at = `users[${i}]`;
    const parsed = fileUserSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ path: `${at}.${issue.path.join(".")}`, message: issue.message });
      return;
    }
    const u = parsed.data;
    const primaryKeys = [u.id, u.upn, ...(u.mail === undefined ? [] : [u.mail])].map((k) => k.toLowerCase());
    const secondaryKeys = [...(u.samAccountName === undefined ? [] : [u.samAccountName]), ...Object.values(u.providerIds)].map((k) => k.toLowerCase());
    for (const key of primaryKeys) {
      const other = seen.get(key);
      if (other !== undefined && other !== i) problems.push({ path: at, message: `${key} is also used by users[${other}]` });
      seen.set(key, i);
    }
    const phones: DirectoryPhone[] = [];
    for (const type of PHONE_TYPES) {
      const value = u.phones[type];
      if (value === undefined) continue;
      try {
        phones.push({ type: type satisfies PhoneType, phone: normalisePhone(value, options.defaultCountry) });
      } catch (error) {
        problems.push({ path: `${at}.phones.${type}`, message: error instanceof Error ? error.message : "invalid" });
      }
    }
    const unusable: UnusableFactor[] = [];
    users.push({
      row: i,
      managerKey: u.manager,
      primaryKeys,
      secondaryKeys,
      entry: {
        id: u.id,
        upn: u.upn,
        displayName: u.displayName,
        phones,
        emails: u.alternateEmails,
        groups: u.groups,
        privileged: u.privileged,
        providerIds: u.providerIds,
        unusable,
        mail: u.mail ?? null,
        samAccountName: u.samAccountName ?? null,
        organisation,
      },
    });
  });
  // An id, UPN or mail must name one user, or looking a verification's user up again by id could
  // land on someone else; only account names and provider ids may be shared.
  for (const user of users) {
    for (const key of new Set(user.secondaryKeys)) {
      const other = seen.get(key);
      if (other !== undefined && other !== user.row) {
        problems.push({ path: `users[${user.row}]`, message: `${key} (an account name or provider id) is the id, upn or mail of users[${other}]` });
      }
    }
  }
  const resolved = withManagers(users, seen, problems);
  if (problems.length > 0) {
    throw new VerityError("DIRECTORY_INVALID", {
      message: `Directory file ${options.path}: ${problems.length} problem(s)`,
      details: problems,
    });
  }
  return resolved;
}

/**
 * Each user with the manager their row names, found by id, upn or mail among the file's users
 * (`seen`: those keys → row). A name no row has, or a user named as their own manager, is a
 * problem of the file: an approval must never go to a guess or back to the caller.
 */
function withManagers(users: readonly ParsedUser[], seen: ReadonlyMap<string, number>, problems: { path: string; message: string }[]): ParsedUser[] {
  const byRow = new Map(users.map((u) => [u.row, u]));
  return users.map((user) => {
    if (user.managerKey === undefined) return user;
    const row = seen.get(user.managerKey.toLowerCase());
    const manager = row === undefined ? undefined : byRow.get(row);
    if (manager === undefined) {
      problems.push({ path: `users[${user.row}].manager`, message: `${user.managerKey} is not the id, upn or mail of a user in this file` });
      return user;
    }
    if (manager.row === user.row) {
      problems.push({ path: `users[${user.row}].manager`, message: "a user cannot be their own manager" });
      return user;
    }
    const m = manager.entry;
    return { ...user, entry: { ...user.entry, manager: { id: m.id, displayName: m.displayName, email: m.mail ?? m.upn } } };
  });
}

import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { VerityError } from "../../../domain/errors.js";
import { normalisePhone } from "../../../domain/phone.js";
import type { Directory, DirectoryPhone, DirectoryUser, PhoneType, UnusableFactor } from "../../../domain/ports.js";
import { PHONE_TYPES } from "../../../domain/ports.js";
import { parseCsv } from "./csv.js";
import { fileDirectorySchema, fileUserSchema } from "./file-directory-schema.js";

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
  readonly index: ReadonlyMap<string, DirectoryUser>;
  readonly count: number;
}

/**
 * A directory kept in a YAML or CSV file (chosen by extension). The file is validated as a whole
 * on load, and re-read when it changes on disk, so an edit takes effect without a restart; a
 * broken edit keeps the last good copy in service and is reported.
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
    const index = new Map<string, DirectoryUser>();
    for (const user of users) {
      for (const key of [user.id, user.upn, ...(user.mail === undefined ? [] : [user.mail])]) {
        index.set(key.toLowerCase(), user.entry);
      }
    }
    return { mtimeMs: info.mtimeMs, size: info.size, index, count: users.length };
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
      return index.get(query.trim().toLowerCase()) ?? null;
    },
    riskSignals() {
      return Promise.resolve([]);
    },
  };
}

interface ParsedUser {
  readonly id: string;
  readonly upn: string;
  readonly mail: string | undefined;
  readonly entry: DirectoryUser;
}

function parseUsers(content: string, options: FileDirectoryOptions): ParsedUser[] {
  const problems: { path: string; message: string }[] = [];
  let rows: unknown[];
  try {
    rows = extname(options.path).toLowerCase() === ".csv" ? csvToRows(content) : yamlToRows(content);
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
    for (const key of [u.id, u.upn, ...(u.mail === undefined ? [] : [u.mail])].map((k) => k.toLowerCase())) {
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
      id: u.id,
      upn: u.upn,
      mail: u.mail,
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
      },
    });
  });
  if (problems.length > 0) {
    throw new VerityError("DIRECTORY_INVALID", {
      message: `Directory file ${options.path}: ${problems.length} problem(s)`,
      details: problems,
    });
  }
  return users;
}

function yamlToRows(content: string): unknown[] {
  const doc: unknown = parseYaml(content, { maxAliasCount: 50 });
  const parsed = fileDirectorySchema.safeParse(doc);
  if (!parsed.success) throw new Error("expected a top-level `users:` list");
  return parsed.data.users;
}

const CSV_COLUMNS = [
  "id",
  "upn",
  "mail",
  "samAccountName",
  "displayName",
  "mobile",
  "alternateMobile",
  "office",
  "alternateEmails",
  "groups",
  "privileged",
  "providerIds",
] as const;

/**
 * CSV columns (header row required, any order): id, upn, mail, samAccountName, displayName, mobile,
 * alternateMobile, office, alternateEmails (`;`-separated), groups (`;`-separated), privileged
 * (`true`/`false`), providerIds (`vip=jdoe;duo=jane.doe`). Empty cells mean "not set".
 */
function csvToRows(content: string): unknown[] {
  const [header, ...body] = parseCsv(content);
  if (header === undefined) return [];
  const columns = header.map((h) => h.trim());
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0) throw new Error(`unknown CSV column(s): ${unknown.join(", ")}`);
  const list = (cell: string | undefined) =>
    (cell ?? "")
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  return body.map((cells) => {
    const cell = (name: (typeof CSV_COLUMNS)[number]) => {
      const i = columns.indexOf(name);
      const value = i < 0 ? undefined : cells[i]?.trim();
      return value === "" ? undefined : value;
    };
    const privileged = cell("privileged");
    return {
      id: cell("id"),
      upn: cell("upn"),
      ...(cell("mail") === undefined ? {} : { mail: cell("mail") }),
      ...(cell("samAccountName") === undefined ? {} : { samAccountName: cell("samAccountName") }),
      displayName: cell("displayName"),
      phones: Object.fromEntries(
        (["mobile", "alternateMobile", "office"] as const).flatMap((t) => (cell(t) === undefined ? [] : [[t, cell(t)]])),
      ),
      alternateEmails: list(cell("alternateEmails")),
      groups: list(cell("groups")),
      privileged: privileged === undefined ? false : /^(true|yes|1)$/i.test(privileged),
      providerIds: Object.fromEntries(
        list(cell("providerIds")).map((pair) => {
          const eq = pair.indexOf("=");
          return eq < 0 ? [pair, ""] : [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
        }),
      ),
    };
  });
}

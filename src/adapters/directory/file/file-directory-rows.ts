import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseCsv } from "./csv.js";
import { fileDirectorySchema } from "./file-directory-schema.js";

/** A directory file's user rows, not yet validated, and the organisation it names (YAML only). */
export interface DirectoryRows {
  readonly rows: unknown[];
  readonly organisation: string | null;
}

/**
 * The rows of a YAML or CSV directory file, chosen by extension.
 * @throws Error saying what is wrong with the file's shape (the caller names the file)
 */
export function readRows(content: string, path: string): DirectoryRows {
  return extname(path).toLowerCase() === ".csv" ? { rows: csvToRows(content), organisation: null } : yamlToRows(content);
}

function yamlToRows(content: string): DirectoryRows {
  const doc: unknown = parseYaml(content, { maxAliasCount: 50 });
  const parsed = fileDirectorySchema.safeParse(doc);
  if (!parsed.success) {
    const onOrganisation = parsed.error.issues.some((issue) => issue.path[0] === "organisation");
    throw new Error(onOrganisation ? "the top-level `organisation:` must be a name of 1 to 200 characters" : "expected a top-level `users:` list");
  }
  return { rows: parsed.data.users, organisation: parsed.data.organisation ?? null };
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
  "manager",
] as const;

/**
 * CSV columns (header row required, any order): id, upn, mail, samAccountName, displayName, mobile,
 * alternateMobile, office, alternateEmails (`;`-separated), groups (`;`-separated), privileged
 * (`true`/`false`), providerIds (`vip=jdoe;duo=jane.doe`), manager (the id, upn or mail of another
 * row). Empty cells mean "not set".
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
      ...(cell("manager") === undefined ? {} : { manager: cell("manager") }),
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

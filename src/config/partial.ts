import { resolve } from "node:path";
import { sqliteFileOf, type StoragePaths } from "./data-folder.js";
import { resolveStorage } from "./load.js";

/** A tenant's file directory: where it is and how to read its phone numbers. */
export interface FileDirectoryEntry {
  /** The tenant's index under `tenants`. */
  readonly index: number;
  readonly path: string;
  readonly defaultCountry?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

/*
 * Best-effort reads of an interpolated configuration tree that did not validate, so that
 * `config check` reports problems with folders and directory files together with the schema's
 * instead of only after those are fixed. A setting that is present but unusable is skipped: the
 * schema already reports it.
 */

/** The local files the tree asks for, or undefined when its dataDir is unusable. */
export function partialStorage(tree: unknown, baseDir: string): StoragePaths | undefined {
  const raw = isRecord(tree) ? tree : {};
  const dataDir = raw.dataDir ?? "./data";
  if (!nonEmpty(dataDir)) return undefined;
  const database = isRecord(raw.database) ? raw.database : {};
  const url = database.url === undefined || nonEmpty(database.url) ? database.url : null;
  const storage = resolveStorage(dataDir, url ?? undefined, baseDir);
  const security = isRecord(raw.security) ? raw.security : {};
  return {
    dataDir: storage.dataDir,
    sqliteFile: url === null ? undefined : sqliteFileOf(storage.url),
    hashKeyFile: security.hashKey === undefined ? resolve(storage.dataDir, "hash.key") : undefined,
  };
}

/** Every tenant's `directory` of kind file whose path is a string. */
export function partialFileDirectories(tree: unknown, baseDir: string): FileDirectoryEntry[] {
  const tenants = isRecord(tree) && Array.isArray(tree.tenants) ? (tree.tenants as unknown[]) : [];
  return tenants.flatMap((tenant, index) => {
    const directory = isRecord(tenant) && isRecord(tenant.directory) ? tenant.directory : {};
    if (directory.kind !== "file" || !nonEmpty(directory.path)) return [];
    const country = directory.defaultCountry;
    return [{ index, path: resolve(baseDir, directory.path), ...(typeof country === "string" && /^[A-Z]{2}$/.test(country) ? { defaultCountry: country } : {}) }];
  });
}

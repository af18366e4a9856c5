import { accessSync, constants, statSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { VerityError } from "../domain/errors.js";
import type { ConfigProblem } from "./load.js";
import type { Config } from "./schema.js";

/** The local files Verity writes, resolved to absolute paths. */
export interface StoragePaths {
  readonly dataDir: string;
  /** The SQLite database file; undefined with PostgreSQL or an in-memory database. */
  readonly sqliteFile: string | undefined;
  /** `dataDir/hash.key` when no `security.hashKey` is configured. */
  readonly hashKeyFile: string | undefined;
}

/** The SQLite file a resolved `database.url` names, if any. */
export function sqliteFileOf(url: string | undefined): string | undefined {
  return url !== undefined && url.startsWith("sqlite:") && url !== "sqlite::memory:" ? url.slice("sqlite:".length) : undefined;
}

/** The local files of a validated configuration (whose paths are already absolute). */
export function storagePaths(config: Config): StoragePaths {
  return {
    dataDir: config.dataDir,
    sqliteFile: sqliteFileOf(config.database.url),
    hashKeyFile: config.security.hashKey === undefined ? join(config.dataDir, "hash.key") : undefined,
  };
}

/** The setting a person changes to move a file elsewhere. */
type Setting = "dataDir" | "database.url";

const REASONS: Record<string, string> = {
  EACCES: "is not writable by this user",
  EPERM: "is not writable by this user",
  EROFS: "is on a read-only file system",
};

const fix = (code: string, setting: Setting) =>
  code === "EROFS" ? `set ${setting} to a folder on a writable file system` : `fix its permissions or set ${setting}`;

const errnoOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? "EIO";

function statOf(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (error) {
    return errnoOf(error);
  }
}

function accessOf(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return errnoOf(error);
  }
}

/** Why `folder` cannot be used as a folder Verity writes in, or undefined when it can (or can be created). */
function folderProblem(folder: string, setting: Setting): string | undefined {
  let existing = folder;
  let info = statOf(existing);
  while (typeof info === "string" && ["ENOENT", "ENOTDIR", "EACCES"].includes(info) && dirname(existing) !== existing) {
    existing = dirname(existing);
    info = statOf(existing);
  }
  if (typeof info === "string") return `${folder} cannot be checked (${info}); set ${setting} to a folder this user can write`;
  const subject = existing === folder ? folder : `${folder} cannot be created: ${existing}`;
  if (!info.isDirectory()) return `${subject} is a file, not a folder (ENOTDIR); set ${setting} to a folder`;
  const code = accessOf(existing, constants.W_OK | constants.X_OK);
  if (code === undefined) return undefined;
  return `${subject} ${REASONS[code] ?? "cannot be written"} (${code}); ${fix(code, setting)}`;
}

/** Why an existing file cannot be opened as Verity needs; a missing file is fine (it is created). */
function fileProblem(file: string, mode: number, setting: Setting): string | undefined {
  if (typeof statOf(file) === "string") return undefined;
  const code = accessOf(file, mode);
  if (code === undefined) return undefined;
  const needs = mode & constants.W_OK ? "readable and writable" : "readable";
  return `${file} is not ${needs} by this user (${code}); ${fix(code, setting)}`;
}

/**
 * What stops Verity from keeping its files where the configuration says: the data folder and the
 * SQLite database's folder must exist and be writable, or be creatable (the nearest existing
 * folder above them writable); an existing database or key file must be usable. Creates nothing.
 */
export function dataFolderProblems(paths: StoragePaths): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: Setting, message: string | undefined) => {
    if (message !== undefined) problems.push({ path, message });
  };
  const dataDirProblem = folderProblem(paths.dataDir, "dataDir");
  add("dataDir", dataDirProblem);
  if (dataDirProblem === undefined && paths.hashKeyFile !== undefined) add("dataDir", fileProblem(paths.hashKeyFile, constants.R_OK, "dataDir"));
  if (paths.sqliteFile === undefined) return problems;
  const databaseFolder = dirname(paths.sqliteFile);
  if (databaseFolder === paths.dataDir && dataDirProblem !== undefined) return problems;
  const folder = databaseFolder === paths.dataDir ? undefined : folderProblem(databaseFolder, "database.url");
  add("database.url", folder);
  if (folder !== undefined) return problems;
  for (const file of [paths.sqliteFile, `${paths.sqliteFile}-wal`, `${paths.sqliteFile}-shm`]) {
    add("database.url", fileProblem(file, constants.R_OK | constants.W_OK, "database.url"));
  }
  return problems;
}

/** A step of start-up that creates or opens one of Verity's local files. */
export interface DataFolderStep {
  readonly setting: Setting;
  /** The folder or file the step works on, as the person configured it. */
  readonly path: string;
  /** What a permission error means here, e.g. "is not writable by this user". */
  readonly denied: string;
}

const SQLITE_REASONS: Record<string, string> = {
  SQLITE_CANTOPEN: "cannot be opened or created by this user",
  SQLITE_READONLY: "is read-only for this user",
  SQLITE_PERM: "is read-only for this user",
};

function failure(error: unknown, step: DataFolderStep): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return undefined;
  const { path, setting } = step;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return `${path} ${step.denied} (${code}); fix its permissions or set ${setting}`;
    case "EROFS":
      return `${path} is on a read-only file system (EROFS); ${fix(code, setting)}`;
    case "ENOTDIR":
    case "EEXIST":
      return `${path}: a file stands where a folder should be (${code}); set ${setting} to a folder`;
    case "ENOSPC":
    case "SQLITE_FULL":
      return `${path}: no space left on the device (${code}); free some space or set ${setting}`;
    default:
      return SQLITE_REASONS[code] === undefined
        ? undefined
        : `${path} ${SQLITE_REASONS[code]} (${code}); fix the permissions of the file and its folder, or set ${setting}`;
  }
}

/**
 * Runs a start-up step on the data folder, the hash key or the SQLite database. A permission,
 * read-only, not-a-folder or disk-full failure becomes CONFIG_INVALID naming the setting to fix
 * (the CLI exits 78); any other failure passes through unchanged.
 */
export function withDataFolder<T>(step: DataFolderStep, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const message = failure(error, step);
    if (message === undefined) throw error;
    throw new VerityError("CONFIG_INVALID", {
      message: "Verity cannot use its data folder",
      details: [{ path: step.setting, message }] satisfies ConfigProblem[],
      cause: error,
    });
  }
}

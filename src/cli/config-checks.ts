import { dirname } from "node:path";
import { createFileDirectory } from "../adapters/directory/file/file-directory.js";
import { dataFolderProblems } from "../config/data-folder.js";
import { interpolate } from "../config/interpolate.js";
import { readConfigTree, type ConfigProblem } from "../config/load.js";
import { partialFileDirectories, partialStorage, type FileDirectoryEntry } from "../config/partial.js";
import { isVerityError } from "../domain/errors.js";

/** Loads each directory file: its user count by tenant index, and every problem with its path. */
export async function checkDirectoryFiles(entries: readonly FileDirectoryEntry[]): Promise<{ problems: ConfigProblem[]; users: Map<number, number> }> {
  const problems: ConfigProblem[] = [];
  const users = new Map<number, number>();
  for (const { index, ...directory } of entries) {
    try {
      users.set(index, await createFileDirectory(directory).load());
    } catch (error) {
      const path = `tenants[${index}].directory`;
      const details = isVerityError(error) && Array.isArray(error.details) ? (error.details as ConfigProblem[]) : [];
      if (details.length === 0) problems.push({ path, message: error instanceof Error ? error.message : "invalid" });
      for (const d of details) problems.push({ path: `${path} ${d.path}`, message: d.message });
    }
  }
  return { problems, users };
}

/**
 * The folder and directory-file problems of a configuration file that failed validation, read
 * from whatever parts of it are usable; none when the file cannot be read as YAML at all.
 */
export async function checkInvalidFile(path: string, env: NodeJS.ProcessEnv): Promise<ConfigProblem[]> {
  let tree: unknown;
  try {
    tree = readConfigTree(path);
  } catch {
    return [];
  }
  const { value } = interpolate(tree, env);
  const baseDir = dirname(path);
  const storage = partialStorage(value, baseDir);
  const directories = await checkDirectoryFiles(partialFileDirectories(value, baseDir));
  return [...(storage === undefined ? [] : dataFolderProblems(storage)), ...directories.problems];
}

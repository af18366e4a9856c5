import { VerityError } from "../domain/errors.js";

/**
 * A configuration problem, and how to recognise a configuration error. Kept apart from the loader
 * so the CLI's error report (and `--help`, `--version`) do not load the schema and zod.
 */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** The problems a CONFIG_INVALID error carries, or undefined for any other error. */
export function configProblems(error: unknown): ConfigProblem[] | undefined {
  if (error instanceof VerityError && error.code === "CONFIG_INVALID") return error.details as ConfigProblem[];
  return undefined;
}

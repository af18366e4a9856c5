import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { canonicalJson } from "../domain/audit-chain.js";

export const CSV_COLUMNS = [
  "seq",
  "id",
  "at",
  "tenantId",
  "actor",
  "action",
  "subjectId",
  "verificationId",
  "ticket",
  "method",
  "destinationMasked",
  "destinationHash",
  "outcome",
  "reason",
  "data",
  "prevHash",
  "hash",
] as const;

/**
 * One CSV cell: quoted when it holds a comma, quote or line break, and defused when a
 * spreadsheet would read it as a formula (OWASP CSV injection: a leading = + - @ tab or CR).
 */
export function csvCell(value: unknown): string {
  let text = "";
  if (typeof value === "string") text = value;
  else if (typeof value === "number" || typeof value === "boolean") text = String(value);
  else if (value !== null && value !== undefined) text = canonicalJson(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(event: ChainedAuditEvent): string {
  return CSV_COLUMNS.map((c) => csvCell(event[c])).join(",");
}

import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { ChainedAuditEvent } from "../../domain/audit-chain.js";
import type { AnchoredChainReport } from "../../services/audit-verify.js";
import { streamAuditEvents } from "../../store/audit-dal.js";
import { CSV_COLUMNS, csvRow } from "../audit-format.js";
import { describeChainReport } from "../audit-report.js";
import { openLocalRuntime, remoteTarget } from "../context.js";
import { COMMON_HELP, COMMON_OPTIONS, EXIT, line, parse, usageError, type CliIo } from "../io.js";
import { createRemoteClient } from "../remote-client.js";

export const AUDIT_HELP = `
Usage: verity audit verify [--anchor SEQ:HASH]
       verity audit export --format csv|json|jsonl [--since DATE] [--tenant ID] [--output FILE]

verify   walks the hash chain from the first event and reports the first event that was
         changed, deleted, inserted or moved. Then it checks the chain against every anchor
         (event number and hash) the server exported to its anchor files (audit.anchor.sinks
         of kind file): that catches a whole chain rewritten by someone who can write the
         database, and a log cut short with its head rewritten. An anchor line whose MAC
         does not verify is reported as tampering. --anchor SEQ:HASH checks against an
         anchor you kept elsewhere instead (from a webhook or syslog receiver, a ticket
         note). With --server, the server checks its own anchor files. Prints the head and
         the anchor used.
export   streams events in chain order: csv (spreadsheet-safe), json (one array) or jsonl
         (one event per line). --since takes a date or an ISO time (UTC if no offset).

Options:
      --anchor SEQ:HASH   expected hash of event SEQ (instead of the anchor files)
      --format FORMAT     csv, json or jsonl (export)
      --since DATE        only events at or after DATE (export)
      --tenant ID         only events of this tenant (export)
  -o, --output FILE       write to FILE instead of standard output (export)
${COMMON_HELP}

Exit status: 0 chain intact and matching its anchor (or export done), 1 chain broken,
not matching its anchor, or an anchor forged; 3 other failure.
`;

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    line(io.stdout, AUDIT_HELP.trim());
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub !== "verify" && sub !== "export") throw usageError(`Unknown audit command '${sub}'.`, AUDIT_HELP);
  const { values } = parse(
    rest,
    {
      ...COMMON_OPTIONS,
      anchor: { type: "string" },
      format: { type: "string" },
      since: { type: "string" },
      tenant: { type: "string" },
      output: { type: "string", short: "o" },
    },
    AUDIT_HELP,
  );
  if (values.help === true) {
    line(io.stdout, AUDIT_HELP.trim());
    return EXIT.ok;
  }
  return sub === "verify" ? verify(values, io) : exportEvents(values, io);
}

async function verify(values: { anchor?: string | undefined } & Parameters<typeof remoteTarget>[0], io: CliIo): Promise<number> {
  let anchor: { seq: number; hash: string } | undefined;
  if (values.anchor !== undefined) {
    const match = /^(\d+):([0-9a-f]{64})$/.exec(values.anchor);
    if (match?.[1] === undefined || match[2] === undefined) throw usageError("--anchor is SEQ:HASH (a number, a colon, 64 hex digits).", AUDIT_HELP);
    anchor = { seq: Number(match[1]), hash: match[2] };
  }
  let report: AnchoredChainReport;
  const remote = remoteTarget(values, io);
  if (remote !== null) {
    if (anchor !== undefined) throw usageError("--anchor works on the local store only.", AUDIT_HELP);
    report = await createRemoteClient(remote.server, remote.token).request<AnchoredChainReport>("GET", "/api/v1/audit/verify");
  } else {
    const runtime = await openLocalRuntime(values, io);
    try {
      report = await runtime.auditVerifier.verify(anchor);
    } finally {
      await runtime.close();
    }
  }
  for (const text of describeChainReport(report)) line(io.stdout, text);
  return report.ok ? EXIT.ok : EXIT.rejected;
}

async function exportEvents(
  values: { format?: string | undefined; since?: string | undefined; tenant?: string | undefined; output?: string | undefined } & Parameters<typeof remoteTarget>[0],
  io: CliIo,
): Promise<number> {
  const format = values.format;
  if (format !== "csv" && format !== "json" && format !== "jsonl") throw usageError("--format must be csv, json or jsonl.", AUDIT_HELP);
  let since: string | undefined;
  if (values.since !== undefined) {
    const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(values.since) ? `${values.since}T00:00:00Z` : values.since);
    if (Number.isNaN(parsed)) throw usageError("--since must be a date (2026-11-01) or an ISO time.", AUDIT_HELP);
    since = new Date(parsed).toISOString();
  }
  const filter = { ...(since === undefined ? {} : { since }), ...(values.tenant === undefined ? {} : { tenantId: values.tenant }) };
  const out: Writable = values.output === undefined ? io.stdout : createWriteStream(values.output, { mode: 0o600 });
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r())));

  const remote = remoteTarget(values, io);
  const runtime = remote === null ? await openLocalRuntime(values, io) : undefined;
  const events: AsyncIterable<ChainedAuditEvent> =
    runtime !== undefined ? streamAuditEvents(runtime.database.db, filter) : remotePages(createRemoteClient(remote!.server, remote!.token), since, values.tenant);
  let count = 0;
  try {
    if (format === "csv") await write(`${CSV_COLUMNS.join(",")}\n`);
    if (format === "json") await write("[");
    for await (const event of events) {
      if (format === "csv") await write(`${csvRow(event)}\n`);
      else if (format === "jsonl") await write(`${JSON.stringify(event)}\n`);
      else await write(`${count === 0 ? "\n" : ",\n"}${JSON.stringify(event)}`);
      count += 1;
    }
    if (format === "json") await write(count === 0 ? "]\n" : "\n]\n");
  } finally {
    await runtime?.close();
    if (out !== io.stdout) await new Promise<void>((r) => out.end(() => r()));
  }
  if (values.output !== undefined) line(io.stderr, `Exported ${count} events to ${values.output}.`);
  return EXIT.ok;
}

async function* remotePages(client: ReturnType<typeof createRemoteClient>, since: string | undefined, tenant: string | undefined) {
  let afterSeq = 0;
  for (;;) {
    const params = new URLSearchParams({ afterSeq: String(afterSeq), limit: "1000" });
    if (since !== undefined) params.set("since", since);
    if (tenant !== undefined) params.set("tenant", tenant);
    const page = await client.request<{ events: ChainedAuditEvent[]; nextAfterSeq: number | null }>("GET", `/api/v1/audit/events?${params.toString()}`);
    yield* page.events;
    if (page.nextAfterSeq === null) return;
    afterSeq = page.nextAfterSeq;
  }
}

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import { pino } from "pino";
import { anchorSinkSchema, type AnchorSinkConfig } from "../../src/adapters/anchor/anchor-config.js";
import { createFileAnchorSink } from "../../src/adapters/anchor/file/file-anchor-sink.js";
import { createSyslogAnchorSink } from "../../src/adapters/anchor/syslog/syslog-anchor-sink.js";
import { createWebhookAnchorSink } from "../../src/adapters/anchor/webhook/webhook-anchor-sink.js";
import { parseAnchor } from "../../src/domain/audit-anchor.js";
import { deriveKeyRing } from "../../src/domain/keys.js";
import type { AnchorSink } from "../../src/domain/ports.js";
import { createAuditAnchors } from "../../src/services/audit-anchors.js";
import { createAuditWriter } from "../../src/services/audit-service.js";
import { readAuditHead } from "../../src/store/audit-dal.js";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { startTcpSyslog, startUdpSyslog, startWebhookReceiver } from "../fakes/anchor/anchor-receivers.js";
import { createFakeClock } from "../helpers/clock.js";
import { waitFor } from "../helpers/engine.js";
import { captureLogs } from "../helpers/logs.js";

const keys = deriveKeyRing(Buffer.from("anchor-test-key-anchor-test-key-0123"));
const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const tmp = mkdtempSync(join(tmpdir(), "verity-anchors-"));
const handles: DatabaseHandle[] = [];
after(() => Promise.all(handles.map((h) => h.close())));

let counter = 0;
async function setUp(sinks: AnchorSink[], intervalMs = 60_000) {
  counter += 1;
  const handle = openDatabase(`sqlite:${join(tmp, `a${counter}.db`)}`);
  handles.push(handle);
  await migrate(handle.db);
  const clock = createFakeClock();
  const writer = createAuditWriter({ db: handle.db, clock });
  const { stream, lines } = captureLogs();
  const anchors = createAuditAnchors({ db: handle.db, keys, clock, log: pino({ level: "debug" }, stream), sinks, intervalMs });
  const append = async (n = 1) => {
    for (let i = 0; i < n; i += 1) await writer.append([{ actor: "t", action: "test.event", data: { i } }]);
    return readAuditHead(handle.db);
  };
  return { handle, anchors, append, logs: lines };
}

function sinkConfig<K extends AnchorSinkConfig["kind"]>(raw: { kind: K } & Record<string, unknown>): Extract<AnchorSinkConfig, { kind: K }> {
  const parsed = anchorSinkSchema.parse(raw);
  assert.equal(parsed.kind, raw.kind);
  return parsed as Extract<AnchorSinkConfig, { kind: K }>;
}
const readAnchors = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => parseAnchor(keys, l));

describe("audit anchors", () => {
  it("writes the head to a file only when it changed, each line with a MAC that verifies", async () => {
    const path = join(tmp, "f1", "anchors.jsonl");
    const { anchors, append } = await setUp([createFileAnchorSink({ kind: "file", path })]);
    assert.deepEqual(await anchors.exportNow(), { written: 0, failed: 0 }, "an empty log has nothing to anchor");
    assert.equal(existsSync(path), false);
    const first = await append(3);
    assert.deepEqual(await anchors.exportNow(), { written: 1, failed: 0 });
    assert.deepEqual(await anchors.exportNow(), { written: 0, failed: 0 }, "an unchanged head is not written again");
    const second = await append();
    await anchors.exportNow();
    const lines = readAnchors(path);
    assert.deepEqual(
      lines.map((l) => (l.kind === "anchor" ? [l.record.seq, l.record.hash] : l.kind)),
      [
        [first.seq, first.hash],
        [second.seq, second.hash],
      ],
    );
  });

  it("exports at start and once more at stop, so the last events of a run are anchored", async () => {
    const path = join(tmp, "f2.jsonl");
    const { anchors, append } = await setUp([createFileAnchorSink({ kind: "file", path })]);
    await append(2);
    anchors.start();
    await waitFor(() => existsSync(path));
    const last = await append(2);
    await anchors.stop();
    const lines = readAnchors(path);
    assert.equal(lines.length, 2);
    const final = lines.at(-1);
    assert.deepEqual(final?.kind === "anchor" ? [final.record.seq, final.record.hash] : final, [last.seq, last.hash]);
  });

  it("signs webhook deliveries, and retries a failing receiver at a later tick without logging secrets", async () => {
    const receiver = await startWebhookReceiver(WEBHOOK_SECRET);
    const config = sinkConfig({ kind: "webhook", url: receiver.url, secret: WEBHOOK_SECRET, timeoutMs: 2000 });
    const clock = { now: () => new Date() };
    const { anchors, append, logs } = await setUp([createWebhookAnchorSink(config, { clock })], 50);
    try {
      const head = await append(2);
      receiver.setMode("fail");
      anchors.start();
      await waitFor(() => logs.some((l) => l.includes("could not export the audit anchor")));
      receiver.setMode("ok");
      const delivery = await waitFor(() => receiver.deliveries[0]);
      assert.equal(delivery.signatureValid, true);
      assert.equal(delivery.headers["content-type"], "application/json");
      assert.match(String(delivery.headers["webhook-id"]), new RegExp(`^anchor_${head.seq}_${head.hash.slice(0, 16)}$`));
      const parsed = parseAnchor(keys, delivery.body);
      assert.equal(parsed.kind, "anchor");
      assert.deepEqual(parsed.kind === "anchor" ? [parsed.record.seq, parsed.record.hash] : null, [head.seq, head.hash]);
      await waitFor(() => logs.some((l) => l.includes("taking anchors again")));
      await anchors.stop();
      assert.equal(receiver.deliveries.length, 1, "the head did not change, so it was sent once");
      const failure = logs.find((l) => l.includes("could not export the audit anchor")) ?? "";
      assert.match(failure, /"anchorSink":"webhook"/);
      assert.match(failure, /"label":"http:\/\/127\.0\.0\.1:\d+"/);
      assert.match(failure, /answered 500/);
      const all = logs.join("\n");
      for (const secret of [WEBHOOK_SECRET, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "query-secret", "/hooks/anchors"]) {
        assert.ok(!all.includes(secret), `${secret} stays out of the logs`);
      }
    } finally {
      await anchors.stop();
      await receiver.close();
    }
  });

  for (const protocol of ["udp", "tcp"] as const) {
    it(`sends RFC 5424 messages to a syslog collector over ${protocol.toUpperCase()}`, async () => {
      const collector = protocol === "udp" ? await startUdpSyslog() : await startTcpSyslog();
      const sink = createSyslogAnchorSink(sinkConfig({ kind: "syslog", host: "127.0.0.1", port: collector.port, protocol }));
      const { anchors, append } = await setUp([sink]);
      try {
        const head = await append(2);
        assert.deepEqual(await anchors.exportNow(), { written: 1, failed: 0 });
        const message = await waitFor(() => collector.messages[0]);
        // facility 13 (log audit) * 8 + severity 6 (informational) = 110
        const match = /^<110>1 (\S+) (\S+) verity (\d+) anchor - (\{.*\})$/.exec(message);
        assert.ok(match, message);
        const parsed = parseAnchor(keys, match[4]!);
        assert.equal(parsed.kind === "anchor" ? parsed.record.hash : null, head.hash);
        assert.equal(match[1], parsed.kind === "anchor" ? parsed.record.at : null);
      } finally {
        await collector.close();
      }
    });
  }

  it("reports a collector that is down as a failed sink, never as a thrown error", async () => {
    const collector = await startTcpSyslog();
    await collector.close();
    const sink = createSyslogAnchorSink(sinkConfig({ kind: "syslog", host: "127.0.0.1", port: collector.port, protocol: "tcp", timeoutMs: 500 }));
    const path = join(tmp, "f3.jsonl");
    const { anchors, append, logs } = await setUp([sink, createFileAnchorSink({ kind: "file", path })]);
    await append();
    assert.deepEqual(await anchors.exportNow(), { written: 1, failed: 1 });
    assert.match(logs.find((l) => l.includes("could not export")) ?? "", /"anchorSink":"syslog".*ECONNREFUSED/);
    assert.equal(readAnchors(path).length, 1, "the other sink still took it");
  });

  it("treats a sink that throws instead of rejecting as one more failed sink", async () => {
    const throwing: AnchorSink = {
      kind: "test",
      label: "throws",
      write: () => {
        throw new Error("synchronous failure");
      },
    };
    const { anchors, append, logs } = await setUp([throwing]);
    await append();
    assert.deepEqual(await anchors.exportNow(), { written: 0, failed: 1 });
    assert.match(logs.find((l) => l.includes("could not export")) ?? "", /synchronous failure/);
  });

  it("stops anchoring, loudly, when the events it anchored were rewritten", async () => {
    const path = join(tmp, "f4.jsonl");
    const { handle, anchors, append, logs } = await setUp([createFileAnchorSink({ kind: "file", path })]);
    const anchored = await append(3);
    await anchors.exportNow();
    await sql`update audit_events set hash = ${"f".repeat(64)} where seq = ${anchored.seq}`.execute(handle.db);
    await sql`update audit_head set hash = ${"f".repeat(64)}`.execute(handle.db);
    await append();
    assert.deepEqual(await anchors.exportNow(), { written: 0, failed: 1 });
    assert.equal(readAnchors(path).length, 1, "the rewritten chain was not anchored");
    assert.match(logs.find((l) => l.includes('"level":50')) ?? "", /AUDIT_CHAIN_BROKEN.*has another hash since it was anchored/);
  });
});

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import { pino } from "pino";
import { anchorSinkSchema } from "../../src/adapters/anchor/anchor-config.js";
import { createFileAnchorSink } from "../../src/adapters/anchor/file/file-anchor-sink.js";
import { createSyslogAnchorSink } from "../../src/adapters/anchor/syslog/syslog-anchor-sink.js";
import { createWebhookAnchorSink } from "../../src/adapters/anchor/webhook/webhook-anchor-sink.js";
import type { SyslogAnchorSinkConfig, WebhookAnchorSinkConfig } from "../../src/adapters/anchor/anchor-config.js";
import { deriveKeyRing } from "../../src/domain/keys.js";
import type { AnchorSink } from "../../src/domain/ports.js";
import { createAuditAnchors } from "../../src/services/audit-anchors.js";
import { createAuditWriter } from "../../src/services/audit-service.js";
import { readAuditHead } from "../../src/store/audit-dal.js";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { startUdpSyslog, startWebhookReceiver } from "../fakes/anchor/anchor-receivers.js";
import { createFakeClock } from "../helpers/clock.js";

const keys = deriveKeyRing(Buffer.from("anchor-probe-key-anchor-probe-key-0123"));
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const tmp = mkdtempSync(join(tmpdir(), "verity-anchor-probe-"));
const handles: DatabaseHandle[] = [];
after(() => Promise.all(handles.map((h) => h.close())));

async function setUp(sinks: AnchorSink[]) {
  const handle = openDatabase(`sqlite:${join(tmp, `p${handles.length}.db`)}`);
  handles.push(handle);
  await migrate(handle.db);
  const clock = createFakeClock();
  const writer = createAuditWriter({ db: handle.db, clock });
  const anchors = createAuditAnchors({ db: handle.db, keys, clock, log: pino({ level: "silent" }), sinks, intervalMs: 60_000 });
  const append = async () => {
    await writer.append([{ actor: "t", action: "test.event" }]);
    return readAuditHead(handle.db);
  };
  return { handle, anchors, append };
}

describe("audit anchors: testing one sink from the integrations page", () => {
  it("sends a webhook the current head, signed as the timer would, and the timer then skips it", async () => {
    const receiver = await startWebhookReceiver(SECRET);
    const config = anchorSinkSchema.parse({ kind: "webhook", url: receiver.url, secret: SECRET }) as WebhookAnchorSinkConfig;
    const sink = createWebhookAnchorSink(config, { clock: { now: () => new Date() } });
    const { anchors, append } = await setUp([sink]);
    try {
      assert.deepEqual(await anchors.probe(sink), { ok: false, detail: "The audit log is empty, so there is no anchor to send yet. Try again once something has been logged." });
      const head = await append();
      const result = await anchors.probe(sink);
      assert.deepEqual(result, { ok: true, detail: `The webhook sink ${new URL(receiver.url).origin} took the anchor of audit event ${head.seq}, the current head.` });
      assert.ok(!result.detail.includes("query-secret"), "the URL's query stays out");
      assert.equal(receiver.deliveries[0]?.signatureValid, true);
      assert.equal(receiver.deliveries[0]?.headers["webhook-id"], `anchor_${head.seq}_${head.hash.slice(0, 16)}`);
      assert.deepEqual(await anchors.exportNow(), { written: 0, failed: 0 }, "the sink has the head already");
      receiver.setMode("fail");
      const failed = await anchors.probe(sink);
      assert.equal(failed.ok, false);
      assert.match(failed.detail, /^The anchor webhook http:\/\/127\.0\.0\.1:\d+ answered 500\.$/);
      assert.ok(!failed.detail.includes(SECRET));
    } finally {
      await anchors.stop();
      await receiver.close();
    }
  });

  it("says a UDP datagram that left proves only that it left", async () => {
    const collector = await startUdpSyslog();
    const sink = createSyslogAnchorSink(anchorSinkSchema.parse({ kind: "syslog", host: "127.0.0.1", port: collector.port }) as SyslogAnchorSinkConfig);
    const { anchors, append } = await setUp([sink]);
    try {
      await append();
      const result = await anchors.probe(sink);
      assert.equal(result.ok, true);
      assert.match(result.detail, /Over UDP that only means it left: check that the collector logged it\.$/);
    } finally {
      await collector.close();
    }
  });

  it("sends nothing once the anchored events were rewritten, and says so", async () => {
    const sink = createFileAnchorSink({ kind: "file", path: join(tmp, "rewritten.jsonl") });
    const { handle, anchors, append } = await setUp([sink]);
    const anchored = await append();
    await anchors.exportNow();
    await sql`update audit_events set hash = ${"f".repeat(64)} where seq = ${anchored.seq}`.execute(handle.db);
    await sql`update audit_head set hash = ${"f".repeat(64)}`.execute(handle.db);
    await append();
    const result = await anchors.probe(sink);
    assert.deepEqual(result, { ok: false, detail: "No anchor was sent: an audit event has another hash since it was anchored, so the log was rewritten. Run verity audit verify." });
  });
});

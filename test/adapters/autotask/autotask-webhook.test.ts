import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { createAutotaskTrigger } from "../../../src/adapters/ticketing/autotask/autotask-trigger.js";
import { autotaskDeliveryId } from "../../../src/adapters/ticketing/autotask/autotask-webhook-payload.js";
import type { TriggerRequest } from "../../../src/domain/ports.js";
import { autotaskSignature, FAKE_WEBHOOK_GUID, signedAutotaskDelivery, type AutotaskDeliveryInput } from "../../fakes/autotask/autotask-webhooks.js";
import { captureLogs } from "../../helpers/logs.js";
import { autotaskConfig, rejectsWith, WEBHOOK_SECRET_KEY } from "./autotask-test-setup.js";

const AT = new Date("2026-12-07T01:00:00Z");

function trigger(overrides: Record<string, unknown> = {}) {
  const { stream, lines } = captureLogs();
  const config = autotaskConfig(null, { zoneUrl: "https://webservices5.autotask.net/atservicesrest", ...overrides });
  return { trigger: createAutotaskTrigger(config, { log: pino({ level: "debug" }, stream) }), logs: lines };
}

function request(body: string, headers: Record<string, string | string[] | undefined>, ip = "203.0.113.9"): TriggerRequest {
  return { headers, rawBody: Buffer.from(body), query: {}, ip, receivedAt: AT };
}

function delivery(input: Partial<AutotaskDeliveryInput> = {}): TriggerRequest {
  const d = signedAutotaskDelivery({ secretKey: WEBHOOK_SECRET_KEY, ticketId: 4242, fields: { "Verify caller": "Yes" }, personId: 29_682_885, ...input });
  return request(d.body, d.headers);
}

describe("Autotask webhook signature", () => {
  it("accepts X-Hook-Signature sha1=<base64 HMAC-SHA1(SecretKey, body)>, with or without the prefix", async () => {
    const { trigger: t } = trigger();
    await t.authenticate(delivery());
    const d = signedAutotaskDelivery({ secretKey: WEBHOOK_SECRET_KEY, ticketId: 4242 });
    await t.authenticate(request(d.body, { "x-hook-signature": autotaskSignature(WEBHOOK_SECRET_KEY, d.body).slice(5) }));
  });

  it("refuses a wrong key, a tampered body, a missing or repeated header, and a signature of another algorithm", async () => {
    const { trigger: t } = trigger();
    const good = signedAutotaskDelivery({ secretKey: WEBHOOK_SECRET_KEY, ticketId: 4242 });
    const wrongKey = signedAutotaskDelivery({ secretKey: "another-secret-key-0123456789abcdef", ticketId: 4242 });
    const sig = good.headers["x-hook-signature"] ?? "";
    const sha256 = `sha256=${(await import("node:crypto")).createHmac("sha256", WEBHOOK_SECRET_KEY).update(good.body).digest("base64")}`;
    for (const [what, req] of [
      ["wrong key", request(wrongKey.body, wrongKey.headers)],
      ["tampered", request(good.body.replace('"Id":4242', '"Id":4243'), good.headers)],
      ["missing", request(good.body, { "content-type": "application/json" })],
      ["empty", request(good.body, { "x-hook-signature": "" })],
      ["repeated", request(good.body, { "x-hook-signature": [sig, sig] })],
      ["sha256", request(good.body, { "x-hook-signature": sha256 })],
    ] as const) {
      await rejectsWith(t.authenticate(req), "WEBHOOK_SIGNATURE_INVALID").catch((e: unknown) => assert.fail(`${what}: ${String(e)}`));
    }
  });

  it("refuses an address outside allowedSources before looking at the signature", async () => {
    const { trigger: t, logs } = trigger({ webhook: { secretKey: WEBHOOK_SECRET_KEY, allowedSources: ["198.51.100.0/24"] } });
    const d = signedAutotaskDelivery({ secretKey: WEBHOOK_SECRET_KEY, ticketId: 4242 });
    await rejectsWith(t.authenticate(request(d.body, d.headers, "203.0.113.9")), "SOURCE_NOT_ALLOWED");
    await t.authenticate(request(d.body, d.headers, "198.51.100.7"));
    assert.ok(logs.some((l) => l.includes("allowedSources")));
  });
});

describe("Autotask webhook payload", () => {
  it("turns a ticket update into one event: the ticket id, the acting resource, receipt time, no contact claim", () => {
    const { trigger: t } = trigger();
    const req = delivery();
    const [event, ...rest] = t.parse(req);
    assert.equal(rest.length, 0);
    assert.deepEqual(event, {
      deliveryId: autotaskDeliveryId(FAKE_WEBHOOK_GUID, 4242, req.rawBody),
      ticket: "4242",
      raisedAt: AT,
      agent: "29682885",
      emailHint: null,
    });
  });

  it("derives the same delivery id for a resent body and another for another change", () => {
    const { trigger: t } = trigger();
    const first = delivery({ sequenceNumber: 7, eventTime: "2026-12-07T01:00:00Z" });
    const again = delivery({ sequenceNumber: 7, eventTime: "2026-12-07T01:00:00Z" });
    const later = delivery({ sequenceNumber: 8, eventTime: "2026-12-07T01:00:05Z" });
    assert.equal(t.parse(first)[0]?.deliveryId, t.parse(again)[0]?.deliveryId);
    assert.notEqual(t.parse(first)[0]?.deliveryId, t.parse(later)[0]?.deliveryId);
    assert.match(t.parse(first)[0]?.deliveryId ?? "", new RegExp(`^${FAKE_WEBHOOK_GUID}:4242:[A-Za-z0-9_-]{22}$`));
  });

  it("logs a Deactivated notice as a warning and starts nothing", () => {
    const { trigger: t, logs } = trigger();
    assert.deepEqual(t.parse(delivery({ action: "Deactivated" })), []);
    assert.ok(logs.some((l) => l.includes('"level":40') && l.includes("deactivated")));
  });

  it("starts nothing for a Delete, another entity, or a change that does not show the trigger field's value", () => {
    const { trigger: t } = trigger({ triggerField: "Verify caller", triggerValue: "Yes" });
    assert.deepEqual(t.parse(delivery({ action: "Delete" })), []);
    assert.deepEqual(t.parse(delivery({ entityType: "Contact" })), []);
    assert.deepEqual(t.parse(delivery({ fields: { status: 5 } })), []);
    assert.deepEqual(t.parse(delivery({ fields: { "Verify caller": "No" } })), []);
    assert.equal(t.parse(delivery({ fields: { verifyCaller: "yes" } })).length, 1, "names compared ignoring case and spaces");
    assert.equal(t.parse(delivery({ fields: { UserDefinedFields: [{ name: "Verify caller", value: "Yes" }] } })).length, 1, "a UDF list");
    assert.equal(t.parse(delivery({ action: "Create" })).length, 1);
  });

  it("without a trigger field, acts on every ticket create or update", () => {
    const { trigger: t } = trigger();
    assert.equal(t.parse(delivery({ fields: { status: 5 } })).length, 1);
  });

  it("takes the agent from LastActivityResourceID when PersonID is absent", () => {
    const { trigger: t } = trigger();
    const d = signedAutotaskDelivery({ secretKey: WEBHOOK_SECRET_KEY, ticketId: 4242, fields: { LastActivityResourceID: 30_000_001 } });
    assert.equal(t.parse(request(d.body, d.headers))[0]?.agent, "30000001");
  });

  it("refuses bodies it cannot read without echoing them", () => {
    const { trigger: t } = trigger();
    for (const body of ["[]", '"x"', '{"Id":4242}', '{"Action":"Update","EntityType":"Ticket"}', '{"Action":"Update","Id":"<script>"}', "{nope"]) {
      assert.throws(
        () => t.parse(request(body, {})),
        (e: unknown) => e instanceof Error && /VALIDATION_FAILED|INVALID_JSON/.test((e as { code?: string }).code ?? "") && !e.message.includes("<script>"),
        body,
      );
    }
  });
});

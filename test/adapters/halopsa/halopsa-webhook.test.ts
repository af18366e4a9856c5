import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HaloWebhookAuthConfig } from "../../../src/adapters/ticketing/halopsa/halopsa-config.js";
import { checkWebhookCredentials } from "../../../src/adapters/ticketing/shared/webhook-auth.js";
import { parseHaloWebhook } from "../../../src/adapters/ticketing/halopsa/halopsa-webhook-payload.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { basicAuthorization, haloTicketPayload, runbookBody, webhookAuthHeaders } from "../../fakes/halopsa/halo-webhooks.js";
import { haloConfig, WEBHOOK_PASSWORD } from "./halo-test-setup.js";

const URLS = { authUrl: "https://acme.halopsa.com/auth", apiUrl: "https://acme.halopsa.com/api" };
const TOKEN = "tok_0123456789abcdefghijklmnopqrstuv";
const basic: HaloWebhookAuthConfig = haloConfig(URLS).webhook;
const token: HaloWebhookAuthConfig = haloConfig(URLS, { webhook: { kind: "token", token: TOKEN } }).webhook;

describe("HaloPSA webhook authentication", () => {
  it("accepts the configured Basic credentials, whatever the header name's case", () => {
    assert.equal(checkWebhookCredentials(basic, webhookAuthHeaders({ kind: "basic", username: "halo", password: WEBHOOK_PASSWORD })), true);
    assert.equal(checkWebhookCredentials(basic, { Authorization: basicAuthorization("halo", WEBHOOK_PASSWORD) }), true);
    assert.equal(checkWebhookCredentials(basic, { authorization: `basic  ${Buffer.from(`halo:${WEBHOOK_PASSWORD}`).toString("base64")}` }), true);
  });

  it("refuses a wrong username, a wrong password, or a password that merely starts right", () => {
    for (const [username, password] of [
      ["Halo", WEBHOOK_PASSWORD],
      ["halo", `${WEBHOOK_PASSWORD}x`],
      ["halo", WEBHOOK_PASSWORD.slice(0, -1)],
      ["halo", ""],
      ["", WEBHOOK_PASSWORD],
      [`halo:${WEBHOOK_PASSWORD}`, ""],
    ]) {
      assert.equal(checkWebhookCredentials(basic, { authorization: basicAuthorization(username as string, password as string) }), false, `${username}`);
    }
  });

  it("refuses missing, repeated and malformed headers", () => {
    const good = basicAuthorization("halo", WEBHOOK_PASSWORD);
    for (const headers of [
      {},
      { authorization: undefined },
      { authorization: "" },
      { authorization: "Basic" },
      { authorization: "Basic !!!not-base64!!!" },
      { authorization: `Basic ${Buffer.from("no-colon-here").toString("base64")}` },
      { authorization: `Bearer ${WEBHOOK_PASSWORD}` },
      { authorization: [good, good] },
      { authorization: good, Authorization: good },
      { authorization: `${good}${"A".repeat(5000)}` },
      { "x-verity-token": WEBHOOK_PASSWORD },
    ]) {
      assert.equal(checkWebhookCredentials(basic, headers), false, JSON.stringify(headers).slice(0, 80));
    }
  });

  it("accepts a token as a Bearer or in X-Verity-Token, and nothing else", () => {
    assert.equal(checkWebhookCredentials(token, webhookAuthHeaders({ kind: "token", token: TOKEN })), true);
    assert.equal(checkWebhookCredentials(token, webhookAuthHeaders({ kind: "token", token: TOKEN, header: "x-verity-token" })), true);
    assert.equal(checkWebhookCredentials(token, { "X-Verity-Token": ` ${TOKEN} ` }), true);
    for (const headers of [
      {},
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: TOKEN },
      { authorization: basicAuthorization("halo", TOKEN) },
      { "x-verity-token": "" },
      { "x-verity-token": [TOKEN, TOKEN] },
      { authorization: "Bearer " },
    ]) {
      assert.equal(checkWebhookCredentials(token, headers), false, JSON.stringify(headers));
    }
  });
});

const invalid = (body: unknown, pattern: RegExp) =>
  assert.throws(
    () => parseHaloWebhook(body),
    (e: unknown) => isVerityError(e) && e.code === "VALIDATION_FAILED" && pattern.test(e.message) && e.message.length < 300,
  );

describe("HaloPSA webhook payloads", () => {
  it("reads the runbook's array with several deliveries", () => {
    const body = runbookBody([
      { id: "8e25c6a0-54b1-4c1e-9a51-3c2f0e1d7a11", timestamp: "2026-11-23T09:00:00.1234567Z", email: " jane.doe@acme.example ", ticketId: 4242 },
      { id: "8e25c6a0-54b1-4c1e-9a51-3c2f0e1d7a12", timestamp: "not a date", email: "sam@acme.example", ticketId: "0004243" },
    ]);
    assert.deepEqual(parseHaloWebhook(body), {
      format: "runbook",
      deliveries: [
        { deliveryId: "8e25c6a0-54b1-4c1e-9a51-3c2f0e1d7a11", timestamp: new Date("2026-11-23T09:00:00.123Z"), email: "jane.doe@acme.example", ticketId: 4242 },
        { deliveryId: "8e25c6a0-54b1-4c1e-9a51-3c2f0e1d7a12", timestamp: null, email: "sam@acme.example", ticketId: 4243 },
      ],
    });
  });

  it("reads Halo's own ticket payload, extra fields and all", () => {
    const body = haloTicketPayload({ id: "d1", ticketId: 4242, agentId: 3, userId: 101, userEmail: "jane.doe@acme.example", timestamp: "2026-09-25T06:41:08.7895915Z" });
    assert.deepEqual(parseHaloWebhook(body), {
      format: "halo",
      deliveryId: "d1",
      webhookId: "5323b1c4-1d2e-4f50-9a61-7b8c9d0e1f23",
      event: "ticket action added",
      timestamp: new Date("2026-09-25T06:41:08.789Z"),
      ticketId: 4242,
      agentId: 3,
      ticketUserId: 101,
      ticketUserEmail: "jane.doe@acme.example",
    });
  });

  it("takes the ticket id from object_id when Halo sends no ticket object", () => {
    const parsed = parseHaloWebhook({ id: "d2", webhook_id: "w", event: "ticket status changed", object_id: "4242", timestamp: "2026-09-25T06:41:08Z" });
    assert.deepEqual(parsed, { format: "halo", deliveryId: "d2", webhookId: "w", event: "ticket status changed", timestamp: new Date("2026-09-25T06:41:08Z"), ticketId: 4242, agentId: null });
  });

  it("drops a user email hint that is not an email rather than trusting it", () => {
    const body = haloTicketPayload({ ticketId: 4242, userId: 101, userEmail: "<script>@" });
    const parsed = parseHaloWebhook(body);
    assert.ok(parsed.format === "halo" && parsed.ticketUserEmail === undefined && parsed.ticketUserId === 101);
  });

  it("refuses wrong shapes, naming the first problem", () => {
    invalid(null, /runbook's JSON array or a Halo webhook object/);
    invalid("[]", /runbook's JSON array/);
    invalid(42, /runbook's JSON array/);
    invalid([], /at least one delivery/);
    invalid([{ id: "a", timestamp: "t", content: { HaloUser: "jane@acme.example" } }], /0\.content\.TicketID/);
    invalid([{ id: "a", content: { HaloUser: "not-an-email", TicketID: 1 } }], /0\.content\.HaloUser: must be an email address/);
    invalid(runbookBody([{ email: "jane@acme.example", ticketId: -4 }]), /TicketID: must be positive/);
    invalid(runbookBody([{ email: "jane@acme.example", ticketId: "42abc" }]), /TicketID/);
    invalid(runbookBody([{ email: "jane@acme.example", ticketId: 1.5 }]), /whole number/);
    invalid(runbookBody([{ email: "jane@acme.example", ticketId: 2 ** 60 }]), /too large/);
    invalid({ id: "d", event: "ticket updated" }, /object_id: a ticket id/);
    invalid({ id: "d", object_id: 4242 }, /event/);
    invalid([haloTicketPayload({ ticketId: 4242 }), haloTicketPayload({ ticketId: 4243 })], /turn batching off/);
  });

  it("refuses __proto__ and constructor keys anywhere, without polluting anything", () => {
    const proto = JSON.parse('[{"id":"a","content":{"HaloUser":"jane@acme.example","TicketID":1,"__proto__":{"polluted":true}}}]') as unknown;
    invalid(proto, /"__proto__" key is not allowed/);
    invalid(JSON.parse('{"id":"d","event":"e","object_id":1,"ticket":{"id":1,"constructor":{"prototype":{}}}}'), /"constructor" key/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("refuses oversized ids, emails, events, timestamps, deep nesting and too many deliveries", () => {
    const one = { timestamp: "2026-11-23T09:00:00Z", email: "jane@acme.example", ticketId: 1 };
    invalid(runbookBody([{ ...one, id: "x".repeat(129) }]), /0\.id: must be 1 to 128 printable/);
    invalid(runbookBody([{ ...one, id: "has space" }]), /0\.id/);
    invalid(runbookBody([{ ...one, email: `${"a".repeat(250)}@acme.example` }]), /HaloUser: must be at most 254/);
    invalid(runbookBody([{ ...one, timestamp: "9".repeat(65) }]), /0\.timestamp: is too long/);
    invalid(runbookBody(Array.from({ length: 101 }, () => one)), /at most 100 deliveries/);
    invalid({ id: "d", event: "e".repeat(201), object_id: 1 }, /event: must be at most 200/);
    let deep: unknown = { id: "d", event: "e", object_id: 1 };
    for (let i = 0; i < 40; i += 1) deep = { id: "d", event: "e", object_id: 1, ticket: { id: 1, nested: deep } };
    invalid(deep, /nesting deeper than 32/);
    invalid({ id: "d", event: "e", object_id: 1, junk: Array.from({ length: 30_000 }, () => 0) }, /too many elements/);
  });
});

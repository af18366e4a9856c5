import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freshserviceConfigSchema } from "../../../src/adapters/ticketing/freshservice/freshservice-config.js";
import { createFreshserviceTrigger, parseFreshserviceTrigger } from "../../../src/adapters/ticketing/freshservice/freshservice-trigger.js";
import type { TriggerRequest } from "../../../src/domain/ports.js";
import { freshserviceDelivery, type FreshserviceWebhookAuth } from "../../fakes/freshservice/freshservice-webhooks.js";
import { fsConfig, rejectsWith, WEBHOOK_TOKEN } from "./freshservice-setup.js";

const AT = new Date("2026-12-07T01:00:30Z");
const request = (delivery: { headers: Record<string, string>; body: string }, over: Partial<TriggerRequest> = {}): TriggerRequest => ({
  headers: delivery.headers,
  rawBody: Buffer.from(delivery.body),
  query: {},
  ip: "203.0.113.7",
  receivedAt: AT,
  ...over,
});
const raw = (body: unknown): TriggerRequest => request({ headers: {}, body: typeof body === "string" ? body : JSON.stringify(body) });
const press = { ticketId: 301, requesterEmail: "jane.doe@contoso.example", agentId: 9001 };

describe("Freshservice trigger authentication", () => {
  const tokenAuth = fsConfig("https://acme.freshservice.com", "k").webhook;
  const basicAuth = fsConfig("https://acme.freshservice.com", "k", { webhook: { kind: "basic", username: "freshservice", password: WEBHOOK_TOKEN, allowedSources: ["203.0.113.0/24"] } }).webhook;

  it("accepts the secret header or Basic credentials the action presents", async () => {
    await createFreshserviceTrigger(tokenAuth).authenticate(request(freshserviceDelivery(press, { kind: "header", name: "X-Verity-Token", value: WEBHOOK_TOKEN })));
    await createFreshserviceTrigger(basicAuth).authenticate(request(freshserviceDelivery(press, { kind: "basic", username: "freshservice", password: WEBHOOK_TOKEN })));
  });

  it("refuses a wrong or missing secret, and an address outside allowedSources", async () => {
    const wrong: FreshserviceWebhookAuth[] = [
      { kind: "header", name: "X-Verity-Token", value: `${WEBHOOK_TOKEN}x` },
      { kind: "header", name: "X-Other", value: WEBHOOK_TOKEN },
      { kind: "none" },
    ];
    for (const auth of wrong) await rejectsWith(createFreshserviceTrigger(tokenAuth).authenticate(request(freshserviceDelivery(press, auth))), "WEBHOOK_SIGNATURE_INVALID");
    await rejectsWith(
      createFreshserviceTrigger(basicAuth).authenticate(request(freshserviceDelivery(press, { kind: "basic", username: "freshservice", password: "wrong-password-0123456789" }))),
      "WEBHOOK_SIGNATURE_INVALID",
    );
    const good = freshserviceDelivery(press, { kind: "basic", username: "freshservice", password: WEBHOOK_TOKEN });
    await rejectsWith(createFreshserviceTrigger(basicAuth).authenticate(request(good, { ip: "198.51.100.1" })), "SOURCE_NOT_ALLOWED");
  });
});

describe("Freshservice trigger body", () => {
  it("reads the documented template: ticket, requester hint, agent, receipt time", () => {
    const event = parseFreshserviceTrigger(request(freshserviceDelivery(press, { kind: "none" })));
    assert.equal(event.ticket, "301");
    assert.equal(event.emailHint, "jane.doe@contoso.example");
    assert.equal(event.agent, "9001");
    assert.equal(event.raisedAt?.toISOString(), AT.toISOString());
    assert.match(event.deliveryId, /^fs:301:[0-9a-f]{16}:\d+$/);
  });

  it("derives one delivery id for the same body within a minute, another for the next minute or another body", () => {
    const delivery = freshserviceDelivery(press, { kind: "none" });
    const id = (at: string, d = delivery) => parseFreshserviceTrigger(request(d, { receivedAt: new Date(at) })).deliveryId;
    assert.equal(id("2026-12-07T01:00:01Z"), id("2026-12-07T01:00:59Z"));
    assert.notEqual(id("2026-12-07T01:00:59Z"), id("2026-12-07T01:01:00Z"));
    assert.notEqual(id("2026-12-07T01:00:01Z"), id("2026-12-07T01:00:01Z", freshserviceDelivery({ ...press, ticketId: 302 }, { kind: "none" })));
  });

  it("uses event_id when the body carries one, and a timestamp when it carries one", () => {
    assert.equal(parseFreshserviceTrigger(raw({ ticket_id: "301", event_id: "run-77" })).deliveryId, "run-77");
    assert.equal(parseFreshserviceTrigger(raw({ ticket_id: 301, timestamp: "2026-12-07T00:59:00Z" })).raisedAt?.toISOString(), "2026-12-07T00:59:00.000Z");
    assert.equal(parseFreshserviceTrigger(raw({ ticket_id: 301, timestamp: 1_796_605_140 })).raisedAt?.getTime(), 1_796_605_140_000);
    assert.equal(parseFreshserviceTrigger(raw({ ticket_id: 301, timestamp: "yesterday-ish" })).raisedAt, null, "an unreadable time is refused downstream, not replaced");
  });

  it("accepts display ids and treats unreplaced or empty placeholders as absent", () => {
    const event = parseFreshserviceTrigger(raw({ ticket_id: "#INC-301", requester_email: "{{ticket.requester.email}}", agent_id: "", event_id: "{{event.id}}" }));
    assert.equal(event.ticket, "301");
    assert.equal(event.emailHint, null);
    assert.equal(event.agent, null);
    assert.match(event.deliveryId, /^fs:301:/);
  });

  it("refuses bodies without a usable ticket id, and non-JSON", () => {
    for (const body of [{}, { ticket_id: "" }, { ticket_id: "abc" }, { ticket_id: -3 }, { ticket_id: "{{ticket.id}}" }, [{ ticket_id: 1 }]]) {
      assert.throws(() => parseFreshserviceTrigger(raw(body)), (e: unknown) => (e as { code?: string }).code === "VALIDATION_FAILED", JSON.stringify(body));
    }
    assert.throws(() => parseFreshserviceTrigger(raw("ticket_id=301")), (e: unknown) => (e as { code?: string }).code === "INVALID_JSON");
  });
});

describe("Freshservice configuration", () => {
  it("accepts the documented block and redacts the key", () => {
    const config = fsConfig("https://acme.freshservice.com/", "secret-api-key");
    assert.equal(config.baseUrl, "https://acme.freshservice.com");
    assert.equal(JSON.stringify(config).includes("secret-api-key"), false);
  });

  it("refuses a missing key, a bad URL, a short webhook secret, unknown keys", () => {
    const base = { kind: "freshservice", baseUrl: "https://acme.freshservice.com", apiKey: "k", webhook: { kind: "token", token: WEBHOOK_TOKEN } };
    for (const bad of [
      { ...base, apiKey: undefined },
      { ...base, apiKey: "" },
      { ...base, baseUrl: "acme.freshservice.com" },
      { ...base, webhook: { kind: "token", token: "short" } },
      { ...base, webhook: undefined },
      { ...base, domain: "acme" },
    ]) {
      assert.equal(freshserviceConfigSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

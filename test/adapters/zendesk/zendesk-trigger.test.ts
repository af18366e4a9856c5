import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zendeskConfigSchema } from "../../../src/adapters/ticketing/zendesk/zendesk-config.js";
import { zendeskSignatureMatches } from "../../../src/adapters/ticketing/zendesk/zendesk-signature.js";
import { createZendeskTrigger, parseZendeskTrigger } from "../../../src/adapters/ticketing/zendesk/zendesk-trigger.js";
import type { TriggerRequest } from "../../../src/domain/ports.js";
import { zendeskDelivery, zendeskSignature } from "../../fakes/zendesk/zendesk-webhooks.js";
import { rejectsWith, SIGNING_SECRET, zdConfig } from "./zendesk-setup.js";

const NOW = new Date("2026-12-07T01:30:00Z");
const config = zdConfig("https://acme.zendesk.com", { kind: "token", email: "verity@acme.example", apiToken: "t" }).webhook;
const press = { ticketId: 4401, requesterEmail: "jane.doe@contoso.example", agentId: 900 };
const request = (delivery: { headers: Record<string, string>; body: string }, over: Partial<TriggerRequest> = {}): TriggerRequest => ({
  headers: delivery.headers,
  rawBody: Buffer.from(delivery.body),
  query: {},
  ip: "203.0.113.9",
  receivedAt: NOW,
  ...over,
});
const signed = (at = NOW, invocationId = "inv-1", body = press) => zendeskDelivery(body, { secret: SIGNING_SECRET, at, invocationId });

describe("Zendesk webhook signature", () => {
  it("matches the published vector", () => {
    const headers = { "x-zendesk-webhook-signature-timestamp": "2021-03-25T05:09:27Z", "x-zendesk-webhook-signature": "hqFuOMBOzMHBVAydQAZ73PaKkfCCm0+b3ur9F6AQntA=" };
    assert.equal(zendeskSignatureMatches("dGVzdHNlY3JldA", headers, Buffer.from('{"a":1}')), true);
    assert.equal(zendeskSignature("dGVzdHNlY3JldA", "2021-03-25T05:09:27Z", '{"a":1}'), "hqFuOMBOzMHBVAydQAZ73PaKkfCCm0+b3ur9F6AQntA=");
    assert.equal(zendeskSignatureMatches("dGVzdHNlY3JldA", headers, Buffer.from('{"a":2}')), false);
    assert.equal(zendeskSignatureMatches("dGVzdHNlY3JldB", headers, Buffer.from('{"a":1}')), false);
  });

  it("accepts a delivery signed with the secret, within 5 minutes either side", async () => {
    const trigger = createZendeskTrigger(config);
    await trigger.authenticate(request(signed()));
    await trigger.authenticate(request(signed(new Date(NOW.getTime() - 4 * 60_000), "inv-2")));
    await trigger.authenticate(request(signed(new Date(NOW.getTime() + 4 * 60_000), "inv-3")));
  });

  it("refuses a wrong secret, a missing signature, a tampered body or timestamp", async () => {
    const trigger = createZendeskTrigger(config);
    const wrong = zendeskDelivery(press, { secret: "another-secret", at: NOW, invocationId: "w" });
    await rejectsWith(trigger.authenticate(request(wrong)), "WEBHOOK_SIGNATURE_INVALID");
    const good = signed();
    const { "x-zendesk-webhook-signature": _sig, ...unsigned } = good.headers;
    await rejectsWith(trigger.authenticate(request({ headers: unsigned, body: good.body })), "WEBHOOK_SIGNATURE_INVALID");
    await rejectsWith(trigger.authenticate(request({ headers: good.headers, body: good.body.replace("4401", "4402") })), "WEBHOOK_SIGNATURE_INVALID");
    const moved = { ...good.headers, "x-zendesk-webhook-signature-timestamp": NOW.toISOString() };
    await rejectsWith(trigger.authenticate(request({ headers: moved, body: good.body })), "WEBHOOK_SIGNATURE_INVALID");
    const doubled = { ...good.headers, "x-zendesk-webhook-signature": [good.headers["x-zendesk-webhook-signature"] ?? "", "x"] };
    await rejectsWith(trigger.authenticate({ ...request(good), headers: doubled }), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a correctly signed delivery whose timestamp is stale or ahead by more than 5 minutes", async () => {
    const trigger = createZendeskTrigger(config);
    await rejectsWith(trigger.authenticate(request(signed(new Date(NOW.getTime() - 6 * 60_000)))), "WEBHOOK_TIMESTAMP_INVALID");
    await rejectsWith(trigger.authenticate(request(signed(new Date(NOW.getTime() + 6 * 60_000), "inv-4"))), "WEBHOOK_TIMESTAMP_INVALID");
    const body = '{"ticket_id":"4401"}';
    const headers = { "x-zendesk-webhook-invocation-id": "inv-5", "x-zendesk-webhook-signature-timestamp": "yesterday", "x-zendesk-webhook-signature": zendeskSignature(SIGNING_SECRET, "yesterday", body) };
    await rejectsWith(trigger.authenticate(request({ headers, body })), "WEBHOOK_TIMESTAMP_INVALID");
  });

  it("lets a replay under the same invocation id through to the store's dedupe, and refuses it under a new one", async () => {
    const trigger = createZendeskTrigger(config);
    const first = signed();
    await trigger.authenticate(request(first));
    await trigger.authenticate(request(first, { receivedAt: new Date(NOW.getTime() + 1000) }));
    assert.equal(parseZendeskTrigger(request(first)).deliveryId, "inv-1");
    const renamed = { ...first.headers, "x-zendesk-webhook-invocation-id": "inv-forged" };
    await rejectsWith(trigger.authenticate(request({ headers: renamed, body: first.body })), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("checks allowedSources first", async () => {
    const trigger = createZendeskTrigger({ ...config, allowedSources: ["198.51.100.0/24"] });
    await rejectsWith(trigger.authenticate(request(signed())), "SOURCE_NOT_ALLOWED");
    await trigger.authenticate(request(signed(), { ip: "198.51.100.20" }));
  });
});

describe("Zendesk trigger body", () => {
  it("reads the documented template: invocation id, ticket, requester hint, agent, signed time", () => {
    const event = parseZendeskTrigger(request(signed()));
    assert.deepEqual(event, { deliveryId: "inv-1", ticket: "4401", raisedAt: NOW, agent: "900", emailHint: "jane.doe@contoso.example" });
  });

  it("treats empty placeholders as absent and refuses a body without a ticket or an invocation id", () => {
    const event = parseZendeskTrigger(request(zendeskDelivery({ ticketId: 4401 }, { secret: SIGNING_SECRET, at: NOW, invocationId: "i" })));
    assert.equal(event.emailHint, null);
    assert.equal(event.agent, null);
    assert.equal(parseZendeskTrigger(request({ headers: signed().headers, body: '{"ticket_id":"0042"}' })).ticket, "42");
    for (const body of ['{"ticket_id":""}', '{"ticket_id":"abc"}', '{"ticket_id":"0"}', '{"ticket_id":4.5}', '{"ticket_id":"1234567890123456"}', "{}", "ticket_id=4401"]) {
      assert.throws(() => parseZendeskTrigger(request({ headers: signed().headers, body })), (e: unknown) => ["VALIDATION_FAILED", "INVALID_JSON"].includes((e as { code?: string }).code ?? ""), body);
    }
    const { "x-zendesk-webhook-invocation-id": _id, ...noId } = signed().headers;
    assert.throws(() => parseZendeskTrigger(request({ headers: noId, body: signed().body })), (e: unknown) => (e as { code?: string }).code === "VALIDATION_FAILED");
  });
});

describe("Zendesk configuration", () => {
  const base = { kind: "zendesk", baseUrl: "https://acme.zendesk.com", webhook: { signingSecret: SIGNING_SECRET } };

  it("accepts an API token or an OAuth token and redacts both", () => {
    const token = zendeskConfigSchema.parse({ ...base, auth: { kind: "token", email: "verity@acme.example", apiToken: "tok-secret-1" } });
    const oauth = zendeskConfigSchema.parse({ ...base, auth: { kind: "oauth", accessToken: "oauth-secret-2" } });
    assert.equal(JSON.stringify(token).includes("tok-secret-1"), false);
    assert.equal(JSON.stringify(oauth).includes("oauth-secret-2"), false);
    assert.equal(JSON.stringify(token).includes(SIGNING_SECRET), false);
  });

  it("refuses a token without an email, an unknown auth kind, a missing signing secret, unknown keys", () => {
    for (const bad of [
      { ...base, auth: { kind: "token", apiToken: "t" } },
      { ...base, auth: { kind: "token", email: "not-an-email", apiToken: "t" } },
      { ...base, auth: { kind: "password", email: "a@b.example", password: "p" } },
      { ...base, auth: { kind: "oauth", accessToken: "" } },
      { ...base, auth: { kind: "oauth", accessToken: "a" }, webhook: {} },
      { ...base, auth: { kind: "oauth", accessToken: "a" }, webhook: { signingSecret: "s", kind: "basic" } },
      { ...base, auth: { kind: "oauth", accessToken: "a" }, subdomain: "acme" },
    ]) {
      assert.equal(zendeskConfigSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

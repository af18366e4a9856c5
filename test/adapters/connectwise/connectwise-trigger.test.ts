import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { createCallbackKeySource } from "../../../src/adapters/ticketing/connectwise/connectwise-callback-key.js";
import type { ConnectWiseClient } from "../../../src/adapters/ticketing/connectwise/connectwise-client.js";
import { connectwiseConfigSchema } from "../../../src/adapters/ticketing/connectwise/connectwise-config.js";
import { createConnectWiseTrigger } from "../../../src/adapters/ticketing/connectwise/connectwise-trigger.js";
import { createOutboundClient, type OutboundClient } from "../../../src/adapters/http/outbound.js";
import type { TicketTrigger } from "../../../src/domain/ports.js";
import { callbackSignature, type SignedCallback } from "../../fakes/connectwise/connectwise-callbacks.js";
import { startFakeConnectWise, type FakeConnectWise } from "../../fakes/connectwise/fake-connectwise.js";
import { createFakeClock, type FakeClock } from "../../helpers/clock.js";
import { captureLogs } from "../../helpers/logs.js";
import { countingServer, cwClient, rejectsWith, request } from "./cw-test-setup.js";

/** The trigger's status reader over a real client (the adapter wires the same). */
const statusReader = (client: ConnectWiseClient) => async (id: number) => {
  const ticket = await client.getTicket(id);
  return { id: ticket.statusId, name: ticket.statusName };
};

/** A callback whose body names `keyUrl`, signed with `signingKey`. */
const withKeyUrl = (cw: FakeConnectWise, keyUrl: string, signingKey = cw.signingKey()): SignedCallback => cw.callback({ ticketId: 7001, keyUrl, signingKey });

describe("ConnectWise callback trigger: signature and key_url allow-list", () => {
  let cw: FakeConnectWise;
  let other: Awaited<ReturnType<typeof countingServer>>;
  let elsewhere: Awaited<ReturnType<typeof countingServer>>;
  let http: OutboundClient;
  let clock: FakeClock;
  let trigger: TicketTrigger;
  let logs: string[];
  let client: ConnectWiseClient;

  const build = (callback: Record<string, unknown> = {}) => {
    const config = connectwiseConfigSchema.parse({
      kind: "connectwise",
      apiUrl: cw.apiUrl,
      companyId: cw.companyId,
      publicKey: cw.publicKey,
      privateKey: cw.privateKey,
      clientId: cw.clientId,
      callback: { keyOrigins: [cw.origin], ignoreMembers: ["VerityAPI"], ...callback },
    });
    const captured = captureLogs();
    logs = captured.lines;
    const log = pino({ level: "debug" }, captured.stream);
    const keys = createCallbackKeySource({ http, clock, log, cacheSeconds: config.callback.keyCacheSeconds });
    return createConnectWiseTrigger(config.callback, { keys, companyId: config.companyId, ticketStatus: statusReader(client), log });
  };

  before(async () => {
    cw = await startFakeConnectWise();
    other = await countingServer("127.0.0.1");
    elsewhere = await countingServer("127.0.0.2");
    http = createOutboundClient({ name: "key", timeoutMs: 2000, maxRetries: 0 });
    client = cwClient(cw).client;
  });
  beforeEach(() => {
    clock = createFakeClock();
    trigger = build();
  });
  after(async () => {
    await http.close();
    await client.close();
    await cw.close();
    for (const s of [other.server, elsewhere.server]) await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  it("accepts a callback signed as ConnectWise signs it, fetching the key once and caching it", async () => {
    const fetchesBefore = cw.keyFetches();
    const first = cw.callback({ ticketId: 7001, messageId: "m-1" });
    await trigger.authenticate(request(first));
    await trigger.authenticate(request(cw.callback({ ticketId: 7002, messageId: "m-2" })));
    assert.equal(cw.keyFetches() - fetchesBefore, 1, "one key fetch for two callbacks");
    assert.deepEqual(trigger.parse(request(first)), [{ deliveryId: "m-1", ticket: "7001", raisedAt: new Date("2026-12-07T01:00:00Z"), agent: "jtech", emailHint: null }]);
  });

  it("refuses a callback signed with another key", async () => {
    await rejectsWith(trigger.authenticate(request(cw.callback({ ticketId: 7001, signingKey: "guessed-key" }))), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a body changed after signing (another ticket in the same bytes' place)", async () => {
    const good = cw.callback({ ticketId: 7001 });
    const tampered = { ...good, body: good.body.replace('"ID":7001', '"ID":7002') };
    assert.notEqual(tampered.body, good.body);
    await rejectsWith(trigger.authenticate(request(tampered, { "x-content-signature": good.signature })), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a missing, empty or repeated signature header", async () => {
    const good = cw.callback({ ticketId: 7001 });
    await rejectsWith(trigger.authenticate(request(good, {})), "WEBHOOK_SIGNATURE_INVALID");
    await rejectsWith(trigger.authenticate(request(good, { "x-content-signature": "" })), "WEBHOOK_SIGNATURE_INVALID");
    await rejectsWith(trigger.authenticate(request(good, { "x-content-signature": [good.signature, good.signature] })), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a body that is not JSON or has no key_url, fetching nothing", async () => {
    const before = cw.keyFetches();
    const notJson = { body: "not json", signature: callbackSignature(cw.signingKey(), "not json"), recordId: "7001" };
    await rejectsWith(trigger.authenticate(request(notJson)), "WEBHOOK_SIGNATURE_INVALID");
    const noKey = JSON.stringify({ MessageId: "x", Type: "ticket", ID: 7001 });
    await rejectsWith(trigger.authenticate(request({ body: noKey, signature: callbackSignature(cw.signingKey(), noKey), recordId: "7001" })), "WEBHOOK_SIGNATURE_INVALID");
    assert.equal(cw.keyFetches(), before);
  });

  it("never fetches a key_url on an unlisted host, even one signed with that host's own key", async () => {
    const forged = withKeyUrl(cw, `${other.url}/v4_6_release/system/callbackkey/index.rails?id=1`, "attacker-key");
    await rejectsWith(trigger.authenticate(request(forged)), "WEBHOOK_SIGNATURE_INVALID");
    const onPrivate = withKeyUrl(cw, `${elsewhere.url}/key`, "attacker-key");
    await rejectsWith(trigger.authenticate(request(onPrivate)), "WEBHOOK_SIGNATURE_INVALID");
    assert.equal(other.hits(), 0, "no request to the other host");
    assert.equal(elsewhere.hits(), 0, "no request to the private address");
    assert.ok(logs.some((l) => l.includes("not on the allow-list")));
  });

  it("fetches from an origin only when the configuration lists it", async () => {
    const listed = build({ keyOrigins: [cw.origin, other.url] });
    await listed.authenticate(request(withKeyUrl(cw, `${other.url}/key`, "attacker-key")));
    assert.equal(other.hits(), 1);
  });

  it("fetches a rotated key again, but at most once a minute per key_url", async () => {
    await trigger.authenticate(request(cw.callback({ ticketId: 7001 })));
    cw.rotateKey();
    const before = cw.keyFetches();
    await rejectsWith(trigger.authenticate(request(cw.callback({ ticketId: 7001 }))), "WEBHOOK_SIGNATURE_INVALID");
    assert.equal(cw.keyFetches(), before, "a fresh key is not fetched within the minute");
    clock.advance(61_000);
    await trigger.authenticate(request(cw.callback({ ticketId: 7001 })));
    assert.equal(cw.keyFetches(), before + 1);
  });

  it("refuses a correctly signed callback from another ConnectWise company", async () => {
    await rejectsWith(trigger.authenticate(request(cw.callback({ ticketId: 7001, companyId: "someone_else" }))), "WEBHOOK_SIGNATURE_INVALID");
    assert.ok(logs.some((l) => l.includes("CompanyId is not the configured companyId")));
  });

  it("with callback.statuses, acts only on a ticket that ConnectWise says is in one of them now", async () => {
    const byName = build({ statuses: ["verify CALLER"] });
    const before = cw.count("GET", "/service/tickets/7001");
    await byName.authenticate(request(cw.callback({ ticketId: 7001 })));
    assert.equal(cw.count("GET", "/service/tickets/7001"), before + 1, "the ticket was read back");
    const error = await rejectsWith(byName.authenticate(request(cw.callback({ ticketId: 7002 }))), "VALIDATION_FAILED");
    assert.match(error.message, /not in a status listed in callback\.statuses/);
    await build({ statuses: [1] }).authenticate(request(cw.callback({ ticketId: 7002 })));
  });

  it("with callback.statuses, checks the ticket a body without ID names through recordId", async () => {
    const checked = build({ statuses: ["Verify caller"] });
    const keyUrl = (JSON.parse(cw.callback({ ticketId: 1 }).body) as { Metadata: { key_url: string } }).Metadata.key_url;
    const body = JSON.stringify({ MessageId: "no-id", CompanyId: cw.companyId, Type: "ticket", Action: "updated", MemberId: "jtech", Metadata: { key_url: keyUrl } });
    const noId = { body, signature: callbackSignature(cw.signingKey(), body), recordId: "7002" };
    await rejectsWith(checked.authenticate(request(noId)), "VALIDATION_FAILED");
    await checked.authenticate(request({ ...noId, recordId: "7001" }));
    assert.equal(checked.parse(request({ ...noId, recordId: "7001" }))[0]?.ticket, "7001");
  });

  it("with callback.statuses, refuses while ConnectWise cannot say, and reads nothing for ignored callbacks", async () => {
    const checked = build({ statuses: ["Verify caller"] });
    cw.fail("down", { path: "/v4_6_release/apis/3.0/service/tickets/7001", method: "GET" });
    try {
      await rejectsWith(checked.authenticate(request(cw.callback({ ticketId: 7001 }))), "TICKETING_UNAVAILABLE");
      const before = cw.count("GET", "/service/tickets/7001");
      await checked.authenticate(request(cw.callback({ ticketId: 7001, memberId: "VerityAPI" })));
      await checked.authenticate(request(cw.callback({ ticketId: 7001, action: "deleted" })));
      assert.equal(cw.count("GET", "/service/tickets/7001"), before);
    } finally {
      cw.heal();
    }
  });

  it("refuses senders outside allowedSources before reading anything", async () => {
    const limited = build({ allowedSources: ["203.0.113.0/24"] });
    const before = cw.keyFetches();
    await rejectsWith(limited.authenticate(request(cw.callback({ ticketId: 7001 }))), "SOURCE_NOT_ALLOWED");
    assert.equal(cw.keyFetches(), before);
  });
});

describe("ConnectWise callback trigger: what a callback means", () => {
  let cw: FakeConnectWise;
  let trigger: TicketTrigger;
  let http: OutboundClient;
  before(async () => {
    cw = await startFakeConnectWise();
    const config = connectwiseConfigSchema.parse({
      kind: "connectwise",
      apiUrl: cw.apiUrl,
      companyId: cw.companyId,
      publicKey: cw.publicKey,
      privateKey: cw.privateKey,
      clientId: cw.clientId,
      callback: { keyOrigins: [cw.origin], ignoreMembers: ["VerityAPI"] },
    });
    http = createOutboundClient({ name: "key", maxRetries: 0 });
    const keys = createCallbackKeySource({ http, clock: createFakeClock(), log: pino({ level: "silent" }), cacheSeconds: 60 });
    trigger = createConnectWiseTrigger(config.callback, { keys, companyId: config.companyId, ticketStatus: () => Promise.reject(new Error("not read")), log: pino({ level: "silent" }) });
  });
  after(async () => {
    await http.close();
    await cw.close();
  });

  it("refuses a callback for another record type with VALIDATION_FAILED", async () => {
    const error = await rejectsWith(Promise.resolve().then(() => trigger.parse(request(cw.callback({ ticketId: 7001, type: "contact" })))), "VALIDATION_FAILED");
    assert.match(error.message, /contact record/);
  });

  it("ignores deletions and changes made by an ignored member (Verity's own notes)", () => {
    assert.deepEqual(trigger.parse(request(cw.callback({ ticketId: 7001, action: "deleted" }))), []);
    assert.deepEqual(trigger.parse(request(cw.callback({ ticketId: 7001, memberId: "verityapi" }))), []);
  });

  it("refuses a recordId in the URL that disagrees with the signed ID", async () => {
    const callback = cw.callback({ ticketId: 7001 });
    await rejectsWith(Promise.resolve().then(() => trigger.parse(request(callback, {}, { recordId: "7002" }))), "VALIDATION_FAILED");
    assert.equal(trigger.parse(request(callback, {}, {}))[0]?.ticket, "7001", "the body's ID alone is enough");
  });

  it("derives a stable delivery id from the bytes when MessageId is missing", () => {
    const body = JSON.stringify({ Type: "ticket", Action: "updated", ID: 7001, MemberId: "jtech", Metadata: { key_url: `${cw.origin}/k` } });
    const callback = { body, signature: "", recordId: "7001" };
    const [a] = trigger.parse(request(callback));
    const [b] = trigger.parse(request(callback));
    assert.match(a?.deliveryId ?? "", /^body-[A-Za-z0-9_-]{43}$/);
    assert.equal(a?.deliveryId, b?.deliveryId);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { createCallbackKeySource } from "../../../src/adapters/ticketing/connectwise/connectwise-callback-key.js";
import { connectwiseConfigSchema } from "../../../src/adapters/ticketing/connectwise/connectwise-config.js";
import { createConnectWiseTrigger } from "../../../src/adapters/ticketing/connectwise/connectwise-trigger.js";
import { createOutboundClient, type OutboundClient } from "../../../src/adapters/http/outbound.js";
import type { TicketTrigger, TriggerRequest } from "../../../src/domain/ports.js";
import { startFakeConnectWise, type FakeConnectWise } from "../../fakes/connectwise/fake-connectwise.js";
import { createFakeClock } from "../../helpers/clock.js";
import { rejectsWith, request } from "./cw-test-setup.js";

describe("ConnectWise workflow presses (shared secret, no ConnectWise signature)", () => {
  const TOKEN = "a-workflow-token-0123456789abcdef";
  let cw: FakeConnectWise;
  let http: OutboundClient;
  let withWorkflow: TicketTrigger;
  const press = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): TriggerRequest => ({
    headers: { "content-type": "application/json", ...headers },
    rawBody: Buffer.from(JSON.stringify(body)),
    query: {},
    ip: "198.51.100.7",
    receivedAt: new Date("2026-12-07T01:00:00Z"),
  });

  before(async () => {
    cw = await startFakeConnectWise();
    http = createOutboundClient({ name: "key", maxRetries: 0 });
    const config = connectwiseConfigSchema.parse({
      kind: "connectwise",
      apiUrl: cw.apiUrl,
      companyId: cw.companyId,
      publicKey: cw.publicKey,
      privateKey: cw.privateKey,
      clientId: cw.clientId,
      callback: { keyOrigins: [cw.origin], allowedSources: ["127.0.0.1"] },
      workflow: { kind: "token", token: TOKEN },
    });
    const keys = createCallbackKeySource({ http, clock: createFakeClock(), log: pino({ level: "silent" }), cacheSeconds: 60 });
    withWorkflow = createConnectWiseTrigger(config.callback, {
      keys,
      companyId: config.companyId,
      ticketStatus: () => Promise.reject(new Error("not read")),
      log: pino({ level: "silent" }),
      ...(config.workflow === undefined ? {} : { workflow: config.workflow }),
    });
  });
  after(async () => {
    await http.close();
    await cw.close();
  });

  it("accepts a press with the token, from outside the callbacks' allowedSources, and reads its fields", async () => {
    const request = press({ ticketId: 7001, id: "flow-1", timestamp: "2026-12-07T00:59:58Z", memberId: "jtech" });
    await withWorkflow.authenticate(request);
    assert.deepEqual(withWorkflow.parse(request), [{ deliveryId: "flow-1", ticket: "7001", raisedAt: new Date("2026-12-07T00:59:58Z"), agent: "jtech", emailHint: null }]);
  });

  it("refuses a wrong or missing token", async () => {
    await rejectsWith(withWorkflow.authenticate(press({ ticketId: 7001, id: "flow-2" }, { authorization: "Bearer not-the-token-0123456789abcdef" })), "WEBHOOK_SIGNATURE_INVALID");
    await rejectsWith(withWorkflow.authenticate(press({ ticketId: 7001, id: "flow-2" }, {})), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("gives no time for a press without a readable timestamp (Verity then refuses it), and names a bad field", async () => {
    assert.equal(withWorkflow.parse(press({ ticketId: "7001", id: "flow-3" }))[0]?.raisedAt, null);
    assert.equal(withWorkflow.parse(press({ ticketId: 7001, id: "flow-4", timestamp: "soon" }))[0]?.raisedAt, null);
    const error = await rejectsWith(Promise.resolve().then(() => withWorkflow.parse(press({ ticketId: -1, id: "flow-5" }))), "VALIDATION_FAILED");
    assert.match(error.message, /at ticketId/);
  });

  it("still treats a request carrying x-content-signature as a ConnectWise callback", async () => {
    const callback = cw.callback({ ticketId: 7001, signingKey: "guessed-key" });
    await rejectsWith(withWorkflow.authenticate(request(callback, { "x-content-signature": callback.signature, authorization: `Bearer ${TOKEN}` })), "WEBHOOK_SIGNATURE_INVALID");
  });
});

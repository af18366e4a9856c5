import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { sharedSecretAuthSchema } from "../../../src/adapters/ticketing/shared/webhook-auth.js";
import { createSnowTrigger } from "../../../src/adapters/ticketing/servicenow/servicenow-trigger.js";
import type { TriggerRequest } from "../../../src/domain/ports.js";
import { uiActionRequest, type UiActionAuth, type UiActionPress } from "../../fakes/servicenow/servicenow-ui-action.js";
import { rejectsWith, WEBHOOK_SECRET } from "./snow-test-setup.js";

const NOW = new Date("2026-12-07T09:00:00Z");
const SECONDS = NOW.getTime() / 1000;
const TABLES = ["incident", "sc_task"] as const;
const PRESS: UiActionPress = { table: "incident", sysId: "0123456789abcdef0123456789abcdef", number: "INC0010001", requestedBy: "beth.anglin", callerEmail: "jane.doe@contoso.example", id: "9f1c2b3a4d5e6f708192a3b4c5d6e7f8", timestampSeconds: SECONDS };
const SIGNED: UiActionAuth = { kind: "standard-webhooks", secret: WEBHOOK_SECRET };

const trigger = (auth: Record<string, unknown> = { kind: "standard-webhooks", secret: WEBHOOK_SECRET }) => createSnowTrigger(sharedSecretAuthSchema.parse(auth), TABLES);
const requestOf = (built: { headers: Record<string, string>; body: string }, receivedAt = NOW): TriggerRequest => ({
  headers: built.headers,
  rawBody: Buffer.from(built.body, "utf8"),
  query: {},
  ip: "127.0.0.1",
  receivedAt,
});

describe("ServiceNow trigger: authentication", () => {
  it("reproduces the Standard Webhooks test vector the way generateMac is called (base64 key after whsec_)", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const mac = createHmac("sha256", Buffer.from(secret.substring(6), "base64")).update('msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}').digest("base64");
    assert.equal(`v1,${mac}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("accepts the UI Action's signed request", async () => {
    await trigger().authenticate(requestOf(uiActionRequest(PRESS, SIGNED)));
  });

  it("refuses a signature made with another secret", async () => {
    const other: UiActionAuth = { kind: "standard-webhooks", secret: `whsec_${Buffer.alloc(32, 1).toString("base64")}` };
    await rejectsWith(trigger().authenticate(requestOf(uiActionRequest(PRESS, other))), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a body changed after signing (another caller's email)", async () => {
    const built = uiActionRequest(PRESS, SIGNED);
    const tampered = { ...built, body: built.body.replace("jane.doe", "sam.smith") };
    await rejectsWith(trigger().authenticate(requestOf(tampered)), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("refuses a request signed more than five minutes before it arrived, or with no signature", async () => {
    const built = uiActionRequest(PRESS, SIGNED);
    await rejectsWith(trigger().authenticate(requestOf(built, new Date(NOW.getTime() + 301_000))), "WEBHOOK_SIGNATURE_INVALID");
    await trigger().authenticate(requestOf(built, new Date(NOW.getTime() + 299_000)));
    const { ["webhook-signature"]: _dropped, ...unsigned } = built.headers;
    await rejectsWith(trigger().authenticate(requestOf({ ...built, headers: unsigned })), "WEBHOOK_SIGNATURE_INVALID");
  });

  it("supports Basic credentials and a token header for instances that will not sign", async () => {
    const basic = { kind: "basic", username: "servicenow", password: "a-long-basic-password-0123456789" } as const;
    await trigger(basic).authenticate(requestOf(uiActionRequest(PRESS, basic)));
    await rejectsWith(trigger(basic).authenticate(requestOf(uiActionRequest(PRESS, { ...basic, password: "wrong-password-0123456789abc" }))), "WEBHOOK_SIGNATURE_INVALID");
    const token = { kind: "token", token: "a-long-token-value-0123456789abcdef" } as const;
    await trigger(token).authenticate(requestOf(uiActionRequest(PRESS, token)));
  });
});

describe("ServiceNow trigger: the body", () => {
  const parse = (press: Partial<UiActionPress> | string, headers: Record<string, string> = {}) => {
    const built = typeof press === "string" ? { headers: {}, body: press } : uiActionRequest({ ...PRESS, ...press }, { kind: "token", token: "x".repeat(32) });
    return trigger().parse(requestOf({ headers: { ...built.headers, ...headers }, body: built.body }));
  };

  it("names the ticket by number, with the agent, the email hint and the time", () => {
    assert.deepEqual(parse({}), [{ deliveryId: PRESS.id, ticket: "INC0010001", raisedAt: NOW, agent: "beth.anglin", emailHint: "jane.doe@contoso.example" }]);
  });

  it("falls back to the sys_id, reads an empty callerEmail as no hint, and takes milliseconds or ISO times", () => {
    const [event] = parse({ number: undefined, callerEmail: "", timestampSeconds: NOW.getTime() });
    assert.equal(event?.ticket, PRESS.sysId);
    assert.equal(event?.emailHint, null);
    assert.deepEqual(event?.raisedAt, NOW);
    const [iso] = parse(JSON.stringify({ id: "abc", table: "sc_task", number: "SCTASK0010003", timestamp: "2026-12-07T09:00:00Z" }));
    assert.deepEqual(iso?.raisedAt, NOW);
    const [undated] = parse(JSON.stringify({ id: "abc", table: "sc_task", number: "SCTASK0010003" }));
    assert.equal(undated?.raisedAt, null, "no time: the engine refuses it");
  });

  it("refuses a table it does not act on, a missing ticket, query syntax, and an id that differs from webhook-id", () => {
    assert.throws(() => parse({ table: "change_request" }), /configured: incident, sc_task/);
    assert.throws(() => parse({ number: undefined, sysId: undefined }), /VALIDATION|not valid/);
    assert.throws(() => parse({ number: "INC001^ORnumberISNOTEMPTY" }), /not valid at number/);
    assert.throws(() => parse({}, { "webhook-id": "another-id" }), /webhook-id/);
    assert.throws(() => parse("not json"), /not valid JSON/);
  });

  it("sends non-ASCII text escaped, so the signed bytes are the sent bytes", () => {
    const built = uiActionRequest({ ...PRESS, requestedBy: "zoë.müller" }, SIGNED);
    assert.ok(/^[\x20-\x7e]*$/.test(built.body));
    assert.equal(trigger().parse(requestOf(built))[0]?.agent, "zoë.müller");
  });
});

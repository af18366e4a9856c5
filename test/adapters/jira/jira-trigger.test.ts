import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { jsmConfigSchema } from "../../../src/adapters/ticketing/jira/jira-config.js";
import { createJsmTrigger } from "../../../src/adapters/ticketing/jira/jira-trigger.js";
import { isVerityError } from "../../../src/domain/errors.js";
import type { TriggerRequest } from "../../../src/domain/ports.js";
import { type AutomationContext, automationWebRequest, jiraNow, JSM_RULE_BODY, renderSmartValues } from "../../fakes/jira/jira-automation.js";
import { WEBHOOK_SECRET } from "./jira-test-setup.js";

const NOW = new Date("2026-12-07T01:02:03.456Z");
const config = (webhook: Record<string, unknown>) =>
  jsmConfigSchema.parse({ kind: "jira-service-management", siteUrl: "https://acme.atlassian.net", auth: { kind: "basic", email: "a@acme.example", apiToken: "t" }, webhook }).webhook;
const trigger = createJsmTrigger(config({ kind: "token", header: "x-verity-secret", token: WEBHOOK_SECRET, allowedSources: ["203.0.113.0/24"] }));

const context: AutomationContext = { issueKey: "ITS-101", reporterEmail: "jane.doe@contoso.example", initiator: "712020:tech-tess", now: NOW };

/** What Verity's hook route hands the trigger for the rule's request. */
function asReceived(init: RequestInit, overrides: Partial<TriggerRequest> = {}): TriggerRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers as Record<string, string>)) headers[k.toLowerCase()] = v;
  return { headers, rawBody: Buffer.from(init.body as string), query: {}, ip: "203.0.113.9", receivedAt: NOW, ...overrides };
}

const press = (secret: string | null, over: Partial<AutomationContext> = {}, template?: string) =>
  automationWebRequest({ verityBase: "https://verity.example", system: "desk", secret, context: { ...context, ...over }, ...(template === undefined ? {} : { template }) });

async function refusal(request: TriggerRequest): Promise<string> {
  try {
    await trigger.authenticate(request);
  } catch (error) {
    assert.ok(isVerityError(error));
    return error.code;
  }
  return "accepted";
}

function parseError(request: TriggerRequest): string {
  try {
    trigger.parse(request);
  } catch (error) {
    assert.ok(isVerityError(error));
    return `${error.code}: ${error.message}`;
  }
  return "parsed";
}

describe("Jira Service Management trigger: the Automation rule's web request", () => {
  it("accepts the secret header the docs configure, and refuses a wrong or missing one", async () => {
    const good = press(WEBHOOK_SECRET);
    assert.equal(good.url, "https://verity.example/hooks/ticketing/desk");
    assert.equal(await refusal(asReceived(good.init)), "accepted");
    assert.equal(await refusal(asReceived(press("jsm-automation-secret-0123456789abcdeX").init)), "WEBHOOK_SIGNATURE_INVALID");
    assert.equal(await refusal(asReceived(press(WEBHOOK_SECRET.slice(0, -1)).init)), "WEBHOOK_SIGNATURE_INVALID");
    assert.equal(await refusal(asReceived(press(null).init)), "WEBHOOK_SIGNATURE_INVALID");
    assert.equal(await refusal(asReceived(press(null).init, { headers: { "x-verity-token": WEBHOOK_SECRET } })), "WEBHOOK_SIGNATURE_INVALID", "only the configured header counts");
    assert.equal(await refusal(asReceived(good.init, { ip: "198.51.100.7" })), "SOURCE_NOT_ALLOWED");
  });

  it("reads the rendered body: the issue, the reporter hint, the technician, and {{now}} as the time raised", () => {
    const [event] = trigger.parse(asReceived(press(WEBHOOK_SECRET).init, { receivedAt: new Date(NOW.getTime() + 2_000) }));
    assert.ok(event !== undefined);
    assert.equal(event.ticket, "ITS-101");
    assert.equal(event.emailHint, "jane.doe@contoso.example");
    assert.equal(event.agent, "712020:tech-tess");
    assert.equal(jiraNow(NOW), "2026-12-07T01:02:03.4+0000");
    assert.equal(event.raisedAt?.toISOString(), "2026-12-07T01:02:03.400Z");
  });

  it("takes a withheld email or an empty initiator as absent, not as an error", () => {
    const [event] = trigger.parse(asReceived(press(WEBHOOK_SECRET, { reporterEmail: null, initiator: null }).init));
    assert.equal(event?.emailHint, null);
    assert.equal(event?.agent, null);
  });

  it("validates the issue reference (key or numeric id), upper-casing keys", () => {
    const ticketOf = (issueKey: string) => trigger.parse(asReceived(press(WEBHOOK_SECRET, { issueKey }).init))[0]?.ticket;
    assert.equal(ticketOf("its-42"), "ITS-42");
    assert.equal(ticketOf("10101"), "10101");
    assert.equal(ticketOf("AB_C2-7"), "AB_C2-7");
    for (const bad of ["", "ITS 42", "ITS-", "ITS-42/comment", "../../rest/api/3/myself", "42-ITS", "ITS-4x2", "ITS-0"]) {
      assert.match(parseError(asReceived(press(WEBHOOK_SECRET, { issueKey: bad }).init)), /^VALIDATION_FAILED: .* at issueKey/, bad);
    }
    assert.match(parseError(asReceived(press(WEBHOOK_SECRET).init, { rawBody: Buffer.from("{not json") })), /^INVALID_JSON/);
  });

  it("uses the body's id when it has one, else derives one that makes a resend the same press", () => {
    const withId = JSM_RULE_BODY.replace(/\}$/, ',"id":"rule-run-77"}');
    assert.equal(trigger.parse(asReceived(press(WEBHOOK_SECRET, {}, withId).init))[0]?.deliveryId, "rule-run-77");
    const id = (over: Partial<AutomationContext>, receivedAt = NOW) => trigger.parse(asReceived(press(WEBHOOK_SECRET, over).init, { receivedAt }))[0]?.deliveryId;
    assert.equal(id({}), id({}, new Date(NOW.getTime() + 90_000)), "a resend of the same rendered body, even later, is one delivery");
    assert.notEqual(id({}), id({ now: new Date(NOW.getTime() + 1_000) }), "the next press renders another {{now}}");
    assert.notEqual(id({}), id({ initiator: "712020:other" }));
    assert.match(id({}) ?? "", /^ITS-101:/);
    const noTime = `{"issueKey":"{{issue.key}}"}`;
    const bare = (receivedAt: Date) => trigger.parse(asReceived(press(WEBHOOK_SECRET, {}, noTime).init, { receivedAt }))[0];
    assert.equal(bare(NOW)?.raisedAt?.getTime(), NOW.getTime(), "no time in the body: the receipt time");
    assert.equal(bare(NOW)?.deliveryId, bare(new Date(NOW.getTime() + 1_000))?.deliveryId, "same minute, same press");
    assert.notEqual(bare(NOW)?.deliveryId, bare(new Date(NOW.getTime() + 60_000))?.deliveryId, "a minute later, a new press");
  });

  it("refuses a time it cannot read rather than guessing", () => {
    const odd = `{"issueKey":"{{issue.key}}","at":"18/08/2020 02:40"}`;
    assert.match(parseError(asReceived(press(WEBHOOK_SECRET, {}, odd).init)), /^VALIDATION_FAILED: .* at at/);
    const millis = `{"issueKey":"{{issue.key}}","at":"${NOW.getTime()}"}`;
    assert.equal(trigger.parse(asReceived(press(WEBHOOK_SECRET, {}, millis).init))[0]?.raisedAt?.getTime(), NOW.getTime());
  });

  it("is the body the docs tell administrators to paste", () => {
    const docs = readFileSync(new URL("../../../../docs/integrations/jira-service-management.md", import.meta.url), "utf8");
    assert.ok(docs.includes(JSM_RULE_BODY), "docs/integrations/jira-service-management.md carries JSM_RULE_BODY word for word");
    assert.ok(docs.includes("X-Verity-Secret"));
    assert.equal(renderSmartValues("{{issue.key}}|{{unknown.value}}|", context), "ITS-101||");
  });
});

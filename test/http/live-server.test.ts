import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { listen } from "../helpers/server.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

/** Reads `state` events from an SSE response until the stream ends or `count` arrive. */
async function readStates(response: Response, count: number): Promise<{ state: string; version?: number }[]> {
  const states: { state: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body ?? []) {
    buffer += decoder.decode(chunk, { stream: true });
    let split: number;
    while ((split = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      if (block.includes("event: state") && data !== undefined) states.push(JSON.parse(data.slice(6)) as { state: string });
      if (states.length >= count) return states;
    }
  }
  return states;
}

describe("a listening server", () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let token: string;

  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS, demo: true });
    ({ app, base } = await listen(t.runtime));
    token = (await t.runtime.tokens.create({ name: "sse", role: "technician", tenants: null }, t.admin)).token;
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });

  it("streams state changes as Server-Sent Events and ends after the final state", async () => {
    const started = (await (await api("/api/v1/verifications", { method: "POST", body: JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" }) })).json()) as { id: string };
    const stream = await fetch(`${base}/api/v1/verifications/${started.id}/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
    const reading = readStates(stream, 10);
    const code = await t.codeSentTo(TEST_USERS.jane.mobile);
    await new Promise((r) => setTimeout(r, 50));
    await api(`/api/v1/verifications/${started.id}/check`, { method: "POST", body: JSON.stringify({ code: code === "000000" ? "999999" : "000000" }) });
    await api(`/api/v1/verifications/${started.id}/check`, { method: "POST", body: JSON.stringify({ code }) });
    const states = await reading;
    assert.deepEqual(states.map((s) => s.state), ["sent", "sent", "verified"]);
    assert.ok(!JSON.stringify(states).includes(code));
  });

  it("refuses the stream with JSON errors before it starts", async () => {
    const response = await fetch(`${base}/api/v1/verifications/00000000-0000-4000-8000-000000000000/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { code: string }).code, "VERIFICATION_NOT_FOUND");
  });

  it("serves the demo phone: messages without full numbers, prompts it can answer", async () => {
    const page = await fetch(`${base}/demo/phone`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /DEMO/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal((await fetch(`${base}/demo/static/phone.js`)).status, 200);

    const push = (await (
      await api("/api/v1/verifications", { method: "POST", body: JSON.stringify({ user: TEST_USERS.jane.upn, method: "simulated-push" }) })
    ).json()) as { id: string; challenge: string };
    const inbox = (await (await fetch(`${base}/demo/api/inbox`)).json()) as {
      messages: { toMasked: string; text: string; to?: string }[];
      prompts: { id: string; choices: string[] }[];
    };
    assert.ok(inbox.messages.length > 0);
    assert.ok(inbox.messages.every((m) => m.to === undefined && m.toMasked.includes("•")));
    const promptId = (await findVerification(t.runtime.database.db, push.id))?.providerRef;
    assert.ok(inbox.prompts.some((p) => p.id === promptId));

    const foreign = await fetch(`${base}/demo/api/prompts/${promptId}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ decision: "approve", number: push.challenge }),
    });
    assert.equal(foreign.status, 403);
    const form = await fetch(`${base}/demo/api/prompts/${promptId}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `decision=approve&number=${push.challenge}`,
    });
    assert.equal(form.status, 415);
    const answered = await fetch(`${base}/demo/api/prompts/${promptId}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ decision: "approve", number: push.challenge }),
    });
    assert.deepEqual(await answered.json(), { result: "approved" });

    const passcode = (await (await fetch(`${base}/demo/api/passcode?user=jane`)).json()) as { passcode: string };
    assert.match(passcode.passcode, /^\d{6}$/);
  });
});

describe("a server stopping with event streams open", () => {
  it("ends the streams and closes, instead of waiting for their verifications to end", async () => {
    const t = await createTestRuntime({ overrides: ROOMY_LIMITS });
    const { app, base } = await listen(t.runtime);
    try {
      const { token } = await t.runtime.tokens.create({ name: "sse", role: "technician", tenants: null }, t.admin);
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const started = (await (await fetch(`${base}/api/v1/verifications`, { method: "POST", headers, body: JSON.stringify({ user: TEST_USERS.jane.upn, method: "sms" }) })).json()) as { id: string };
      const stream = await fetch(`${base}/api/v1/verifications/${started.id}/events`, { headers });
      const reading = readStates(stream, 10);
      await new Promise((r) => setTimeout(r, 50));
      // The verification stays open for minutes; the close must not wait for it.
      const closed = await Promise.race([app.close().then(() => "closed"), new Promise((r) => setTimeout(() => r("still waiting"), 5000))]);
      assert.equal(closed, "closed");
      const states = await reading;
      assert.deepEqual(states.map((s) => s.state), ["sent"], "the stream had its state, then ended");
    } finally {
      // Without the fix the close never ends: do not let the cleanup hang the suite too.
      await Promise.race([app.close(), new Promise((r) => setTimeout(r, 1000))]);
      await t.close();
    }
  });
});

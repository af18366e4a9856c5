import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { listen } from "../helpers/server.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS } from "../helpers/runtime.js";

/**
 * SECURITY.md test 24: after a run that sends codes by SMS and email, checks them right and
 * wrong, resends, pushes and reads everything back, none of the codes and none of the full
 * phone numbers or email destinations appear in the database files, the logs, or any API
 * response. The development outbox and simulated phone folder are the demo phone's own storage
 * (they hold message text by design) and are the only files left out.
 */
describe("no codes or full destinations leak", () => {
  it("finds none in the database, the logs or any API response", async () => {
    const t = await createTestRuntime({ overrides: { ...ROOMY_LIMITS, log: { level: "debug" } } });
    const { app, base } = await listen(t.runtime);
    const { token } = await t.runtime.tokens.create({ name: "Scan Tech", role: "technician", tenants: null }, t.admin);
    const { token: auditorToken } = await t.runtime.tokens.create({ name: "Scan Auditor", role: "auditor", tenants: null }, t.admin);
    const responses: string[] = [];
    const outboxPath = join(t.runtime.config.dataDir, "dev-outbox.jsonl");

    const call = async (method: string, path: string, body?: unknown, as = token) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      responses.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    const latestCode = async () => (await readOutbox(outboxPath, 1))[0]?.text.match(/\b(\d{6})\b/)?.[1] ?? "";
    const wrongOf = (code: string) => String((Number(code) + 500_001) % 1_000_000).padStart(6, "0");

    try {
      for (const user of [TEST_USERS.jane.upn, TEST_USERS.chris.upn, TEST_USERS.sam.upn, TEST_USERS.alex.upn, "ghost@acme.test"]) {
        await call("GET", `/api/v1/directory/users/${encodeURIComponent(user)}`);
      }
      // SMS: wrong then right, watched over SSE
      const sms = await call("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "sms", ticket: "LEAK-1" });
      const stream = fetch(`${base}/api/v1/verifications/${String(sms.id)}/events`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
      const smsCode = await latestCode();
      await call("POST", `/api/v1/verifications/${String(sms.id)}/check`, { code: wrongOf(smsCode) });
      await call("POST", `/api/v1/verifications/${String(sms.id)}/check`, { code: smsCode });
      await call("POST", `/api/v1/verifications/${String(sms.id)}/check`, { code: smsCode });
      responses.push(await stream);
      // SMS with a resend: the first code dies, the second works
      const resend = await call("POST", "/api/v1/verifications", { user: TEST_USERS.chris.upn, method: "sms" });
      const firstCode = await latestCode();
      await call("POST", `/api/v1/verifications/${String(resend.id)}/resend`);
      const secondCode = await latestCode();
      await call("POST", `/api/v1/verifications/${String(resend.id)}/check`, { code: firstCode });
      await call("POST", `/api/v1/verifications/${String(resend.id)}/check`, { code: secondCode });
      // Email, left to expire after a wrong code
      const email = await call("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "email" });
      const emailCode = await latestCode();
      await call("POST", `/api/v1/verifications/${String(email.id)}/check`, { code: wrongOf(emailCode) });
      t.clock.advance(601_000);
      await t.runtime.engine.expireDue();
      await call("POST", `/api/v1/verifications/${String(email.id)}/check`, { code: emailCode });
      await call("GET", `/api/v1/verifications/${String(email.id)}`);
      // Passcode and push
      const passcodeVerification = await call("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "simulated-passcode" });
      const passcode = await t.runtime.dev.simulated.get("phone")!.currentPasscode("jane");
      await call("POST", `/api/v1/verifications/${String(passcodeVerification.id)}/check`, { code: passcode });
      const push = await call("POST", "/api/v1/verifications", { user: TEST_USERS.jane.upn, method: "simulated-push" });
      const prompt = await waitFor(async () => (await t.runtime.dev.simulated.get("phone")!.pendingPrompts())[0]);
      await t.runtime.dev.simulated.get("phone")!.answer(prompt.id, { decision: "approve", number: prompt.challenge });
      await waitFor(async () => (await call("GET", `/api/v1/verifications/${String(push.id)}`)).final === true);
      // Bad input and the auditor's view
      await call("POST", `/api/v1/verifications/${String(push.id)}/check`, { code: "12 34 56 78 90 12" });
      await call("GET", "/api/v1/audit/events?limit=1000", undefined, auditorToken);
      await call("GET", "/api/v1/audit/verify", undefined, auditorToken);
    } finally {
      await app.close();
      await t.runtime.close();
    }

    const codes = [...new Set((await readOutbox(outboxPath, 1000)).map((m) => m.text.match(/\b(\d{6})\b/)?.[1] ?? ""))].filter((c) => c !== "");
    assert.ok(codes.length >= 4, `the run sent codes (${codes.length})`);
    const numbers = [TEST_USERS.jane.mobile, TEST_USERS.sam.mobile, TEST_USERS.chris.mobile, TEST_USERS.chris.alternateMobile, TEST_USERS.alex.office];
    const numberForms = numbers.flatMap((n) => [n, n.slice(1), n.slice(-10)]);
    const emails = [TEST_USERS.jane.altEmail];

    const dataDir = t.runtime.config.dataDir;
    const databaseFiles = readdirSync(dataDir).filter((f) => f.startsWith("verity.db") && statSync(join(dataDir, f)).isFile());
    assert.ok(databaseFiles.includes("verity.db"));
    const sources: [string, string][] = [
      ...databaseFiles.map((f): [string, string] => [`database file ${f}`, readFileSync(join(dataDir, f)).toString("latin1")]),
      ["logs", t.logs.join("\n")],
      ["API responses", responses.join("\n")],
    ];
    assert.ok(t.logs.length > 20, "the logs were captured");
    for (const [name, content] of sources) {
      for (const code of codes) {
        assert.ok(!new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`).test(content), `${name} contains a code`);
      }
      for (const form of numberForms) assert.ok(!content.includes(form), `${name} contains a full number (${form.slice(0, 4)}…)`);
      for (const email of emails) assert.ok(!content.toLowerCase().includes(email), `${name} contains a full destination email`);
    }
    // The masked forms are there: the scan is looking at the right content.
    assert.ok(responses.join("\n").includes("+44 ••••• ••0001"));
  });
});

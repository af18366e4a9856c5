import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { smtpProviderConfig, startFakeSmtp, type FakeSmtp } from "../fakes/smtp/fake-smtp.js";
import { listen } from "../helpers/server.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";

const PASSWORD = "relay-Pa55word-e2e";

// Olive's directory entry lists her own mailbox (in upper case, and plus-addressed) as her
// "alternate" emails: a directory file can say so, but a code must never go there.
const DIRECTORY = `
users:
  - id: e-1
    upn: jane@acme.test
    displayName: Jane Doe
    alternateEmails: [jane.personal@mail.test]
  - id: e-2
    upn: olive@acme.test
    mail: olive.owner@acme.test
    displayName: Olive Owner
    alternateEmails: [OLIVE@ACME.TEST, olive.owner+codes@acme.test]
  - id: e-3
    upn: mo@acme.test
    displayName: Mo Mixed
    alternateEmails: [mo@acme.test, mo.home@mail.test]
`;

/**
 * Issue 12, end to end: a technician starts an email verification through the API, the code goes
 * through the SMTP channel to a real SMTP server, and the caller reads it back; a caller whose
 * only registered address is their own mailbox is refused (and the refusal audited), since
 * whoever holds the account reads that mailbox.
 */
describe("email codes over SMTP, end to end", () => {
  let smtp: FakeSmtp;
  let t: TestRuntime;
  let base: string;
  let token: string;
  let auditor: string;
  let close: () => Promise<void>;

  before(async () => {
    smtp = await startFakeSmtp({ users: { "verity@acme.test": PASSWORD } });
    t = await createTestRuntime({
      overrides: (dir) => {
        writeFileSync(join(dir, "email-directory.yaml"), DIRECTORY);
        return {
          ...ROOMY_LIMITS,
          log: { level: "debug" },
          providers: {
            console: { kind: "console" },
            phone: { kind: "simulated" },
            relay: smtpProviderConfig(smtp, "verity@acme.test", PASSWORD),
          },
          tenants: [acmeTenant(dir, { directory: { kind: "file", path: join(dir, "email-directory.yaml") }, methods: { email: "relay", sms: "console" } })],
        };
      },
    });
    const server = await listen(t.runtime);
    base = server.base;
    close = () => server.app.close();
    token = (await t.runtime.tokens.create({ name: "Email Tech", role: "technician", tenants: null }, t.admin)).token;
    auditor = (await t.runtime.tokens.create({ name: "Email Auditor", role: "auditor", tenants: null }, t.admin)).token;
  });
  after(async () => {
    await close();
    await t.close();
    await smtp.close();
  });

  const call = async (method: string, path: string, body?: unknown, as = token) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("sends the code to the registered alternate address by SMTP, and the caller is verified with it", async () => {
    const started = await call("POST", "/api/v1/verifications", { user: "jane@acme.test", method: "email", ticket: "MAIL-1" });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.state, "sent");
    const mail = smtp.messages.at(-1);
    assert.ok(mail !== undefined);
    assert.deepEqual(mail.to, ["jane.personal@mail.test"]);
    assert.equal(mail.secure, true);
    const raw = mail.raw.replace(/=\r\n/g, "");
    assert.match(raw, /^Subject: .*verification code/m);
    const code = /Your code is (\d{6,10})\b/.exec(raw)?.[1];
    assert.ok(code !== undefined, "the message carries the code");
    const checked = await call("POST", `/api/v1/verifications/${String(started.body.id)}/check`, { code });
    assert.equal(checked.status, 200, JSON.stringify(checked.body));
    assert.equal(checked.body.outcome, "verified", JSON.stringify(checked.body));
    const logs = t.logs.join("\n");
    assert.ok(!logs.includes(PASSWORD), "the relay password is never logged");
    assert.ok(!logs.includes(code), "the code is never logged");
    assert.ok(!logs.includes("jane.personal@mail.test"), "the full address is never logged");
  });

  it("refuses a caller whose only registered address is their own mailbox, sends nothing, and audits the refusal", async () => {
    const sent = smtp.messages.length;
    const refused = await call("POST", "/api/v1/verifications", { user: "olive@acme.test", method: "email", ticket: "MAIL-2" });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, "NO_USABLE_FACTOR");
    assert.match(String(refused.body.message), /own mailbox/);
    assert.deepEqual(refused.body.details, { reason: "email_is_own_mailbox" });
    assert.equal(smtp.messages.length, sent, "nothing was sent");
    const audit = await call("GET", "/api/v1/audit/events?tenant=acme&limit=500", undefined, auditor);
    const events = audit.body.events as { action: string; subjectId: string | null; reason: string | null }[];
    assert.ok(events.some((e) => e.action === "verification.refused" && e.subjectId === "e-2" && e.reason === "NO_USABLE_FACTOR"));
  });

  it("shows the own-mailbox address as unusable in the lookup, and picks the other address when there is one", async () => {
    const olive = await call("GET", `/api/v1/directory/users/${encodeURIComponent("olive@acme.test")}`);
    const factors = olive.body.factors as { type: string; usable: boolean; note: string | null }[];
    assert.equal(factors.filter((f) => f.type === "alternateEmail").length, 2);
    assert.ok(factors.filter((f) => f.type === "alternateEmail").every((f) => !f.usable && f.note === "the account's own mailbox: whoever holds the account reads it"));
    const methods = olive.body.methods as { method: string; available: boolean }[];
    assert.equal(methods.find((m) => m.method === "email")?.available, false);

    const started = await call("POST", "/api/v1/verifications", { user: "mo@acme.test", method: "email" });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.deepEqual(smtp.messages.at(-1)?.to, ["mo.home@mail.test"]);
  });
});

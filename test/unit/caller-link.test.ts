import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFormNonce, generateLinkToken, hashLinkToken, issueFormNonce, linkChoices, linkTokenMatches, parseLinkRef } from "../../src/domain/caller-link.js";
import { deriveKeyRing } from "../../src/domain/keys.js";
import { methodLabel, parseMethod } from "../../src/domain/methods.js";
import { configSchema, referenceProblems } from "../../src/config/schema.js";
import { configWarnings } from "../../src/config/warnings.js";
import type { ChainedAuditEvent } from "../../src/domain/audit-chain.js";
import type { Verification } from "../../src/domain/verification.js";
import { renderTemplate } from "../../src/services/caller-wording.js";
import { sentNote } from "../../src/services/note-content.js";

const keys = deriveKeyRing(Buffer.from("unit-test-key-unit-test-key-0123456789"));
const ID = "3f2a1b4c-1111-4222-8333-444455556666";

describe("confirmation link pieces", () => {
  it("parses sms-link and email-link as link methods on a channel", () => {
    assert.deepEqual(parseMethod("sms-link"), { id: "sms-link", kind: "link", channel: "sms" });
    assert.deepEqual(parseMethod("email-link"), { id: "email-link", kind: "link", channel: "email" });
    assert.equal(methodLabel("sms-link"), "Confirmation link by SMS");
    assert.throws(() => parseMethod("push-link"));
  });

  it("makes 128-bit tokens whose keyed hash binds them to one verification", () => {
    const token = generateLinkToken();
    assert.match(token, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(generateLinkToken(), token);
    const hash = hashLinkToken(keys, ID, token);
    assert.ok(!hash.includes(token));
    assert.equal(linkTokenMatches(keys, ID, token, hash), true);
    assert.equal(linkTokenMatches(keys, "3f2a1b4c-1111-4222-8333-444455556667", token, hash), false);
    assert.equal(linkTokenMatches(keys, ID, generateLinkToken(), hash), false);
    assert.equal(linkTokenMatches(keys, ID, token, null), false, "a used link matches nothing");
  });

  it("accepts only <uuid>.<22 base64url> refs", () => {
    assert.deepEqual(parseLinkRef(`${ID}.${"A".repeat(22)}`), { id: ID, token: "A".repeat(22) });
    for (const bad of [ID, `${ID}.${"A".repeat(21)}`, `${ID}.${"A".repeat(23)}`, `${ID.toUpperCase()}.${"A".repeat(22)}`, `${ID}.${"A".repeat(21)}=`, ""]) assert.equal(parseLinkRef(bad), null, bad);
  });

  it("offers the challenge among distinct decoys, the same set for one link, another for the next", () => {
    for (let i = 0; i < 200; i += 1) {
      const hash = hashLinkToken(keys, ID, generateLinkToken());
      const challenge = String(10 + (i % 90));
      const choices = linkChoices(keys, hash, challenge);
      assert.equal(choices.length, 4);
      assert.equal(new Set(choices).size, 4);
      assert.ok(choices.includes(challenge));
      assert.ok(choices.every((c) => /^[1-9]\d$/.test(c)));
      assert.deepEqual(linkChoices(keys, hash, challenge), choices);
    }
    const positions = new Set(Array.from({ length: 50 }, () => linkChoices(keys, hashLinkToken(keys, ID, generateLinkToken()), "42").indexOf("42")));
    assert.ok(positions.size > 1, "the right number is not always in the same place");
  });

  it("checks the form nonce against the link, and only for the link's lifetime", () => {
    const hash = hashLinkToken(keys, ID, generateLinkToken());
    const now = new Date("2026-12-07T10:00:00Z");
    const nonce = issueFormNonce(keys, ID, hash, now);
    assert.equal(checkFormNonce(keys, ID, hash, nonce, now), true);
    assert.equal(checkFormNonce(keys, ID, hashLinkToken(keys, ID, generateLinkToken()), nonce, now), false, "a resent link's form");
    assert.equal(checkFormNonce(keys, ID, hash, nonce, new Date(now.getTime() + 601_000)), false);
    assert.equal(checkFormNonce(keys, ID, hash, `${Math.floor(now.getTime() / 1000) + 1}${nonce.slice(nonce.indexOf("."))}`, now), false);
    assert.equal(checkFormNonce(keys, ID, hash, undefined, now), false);
  });

  it("fills {link} and keeps the technician to a first name", () => {
    const text = renderTemplate("{desk}: {technician} ({ticket}) {link}", { organisation: "Acme", technician: "Terry Tech", ticket: "<b>", link: "https://v.example/c/x" });
    assert.equal(text, "Acme service desk: Terry (your call) https://v.example/c/x");
  });

  it("lets a tenant map sms-link to Twilio or the console, and refuses providers that cannot text", () => {
    const raw = (methods: Record<string, string>) => ({
      providers: { tw: { kind: "twilio" }, dev: { kind: "console", channels: ["sms"] }, phone: { kind: "simulated" } },
      tenants: [{ id: "a", name: "A", directory: { kind: "file", path: "x" }, methods }],
    });
    assert.deepEqual(referenceProblems(raw({ "sms-link": "tw", "email-link": "dev" })).map((p) => p.path), ["tenants[0].methods.email-link"]);
    assert.deepEqual(referenceProblems(raw({ "sms-link": "phone" })).map((p) => p.message), ["provider 'phone' (simulated) cannot serve sms-link"]);
    assert.deepEqual(referenceProblems(raw({ "sms-link": "dev" })), []);
  });

  it("words the method in a ticket note, with the number to read out", () => {
    const v = { method: "sms-link", destinationMasked: "+1 (•••) •••-0101", subjectName: "Jane <Doe>", challenge: "47", technician: "Terry", risk: { decision: "allow", signals: [] }, expiresAt: "2026-12-07T10:10:00.000Z" } as unknown as Verification;
    const event = { action: "message.sent", seq: 3, id: "evt-1", hash: "h" } as unknown as ChainedAuditEvent;
    const html = sentNote(v, event, false);
    assert.match(html, /Method: confirmation link by SMS to \+1 \(•••\) •••-0101/);
    assert.match(html, /Ask Jane &lt;Doe&gt; to open the link and pick the number <b>47<\/b> you read out\./);
  });

  it("warns that a link method needs server.publicUrl, except in the demo", () => {
    const config = configSchema.parse({
      providers: { dev: { kind: "console" } },
      tenants: [{ id: "a", name: "A", directory: { kind: "file", path: "x" }, methods: { sms: "dev", "sms-link": "dev" } }],
    });
    assert.deepEqual(configWarnings(config, new Set()).map((w) => w.path), ["tenants[0].methods.sms-link"]);
    assert.deepEqual(configWarnings(config, new Set(), { demo: true }), []);
    const served = configSchema.parse({ ...config, server: { publicUrl: "https://v.example" }, providers: { dev: { kind: "console" } } });
    assert.deepEqual(configWarnings(served, new Set()), []);
  });
});

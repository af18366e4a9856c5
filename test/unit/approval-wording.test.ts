import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChainedAuditEvent } from "../../src/domain/audit-chain.js";
import type { Verification } from "../../src/domain/verification.js";
import { approvalMessage } from "../../src/services/approval.js";
import { resultNote, sentNote } from "../../src/services/note-content.js";

describe("manager approval's words: the email and the ticket notes", () => {
  it("names the technician's first name, the caller and only a safe ticket in the email; never the reason or an unsafe ticket", () => {
    const base = { organisation: "Contoso", technician: "Terry Tech", caller: "Jane\r\nBcc: x@evil.example Doe", minutes: 10, link: "https://v.example/c/abc" };
    const mail = approvalMessage({ ...base, ticket: "INC0010042" });
    assert.equal(mail.subject, "Contoso service desk: do you approve that Terry acts for Jane Bcc: x@evil.example Doe?");
    assert.doesNotMatch(mail.subject, /[\r\n]/, "one line");
    assert.match(mail.text, /\(ticket INC0010042\)/);
    assert.match(mail.text, /as Jane Bcc: x@evil\.example Doe's manager/);
    assert.match(mail.text, /Open https:\/\/v\.example\/c\/abc to see the request and answer\. The link works once, for 10 minutes\./);
    const unsafe = approvalMessage({ ...base, caller: "Jane Doe", ticket: "call me on +44 7700 900123" });
    assert.doesNotMatch(unsafe.text, /7700|ticket/);
    const stranger = approvalMessage({ ...base, caller: "Jane Doe", technician: "<b>Boss</b> Tech", ticket: null });
    assert.match(stranger.subject, /do you approve that the service desk acts for Jane Doe\?/);
  });

  it("tells agents in the ticket that the manager was emailed, and who answered", async () => {
    const v = {
      method: "manager-approval",
      destinationMasked: "m•••@c•••.com",
      subjectName: "Jane <Doe>",
      challenge: null,
      technician: "Terry",
      state: "verified",
      stateReason: "manager_approved",
      evidence: { approver: { name: "Morgan Manager", emailMasked: "m•••@c•••.com" } },
      risk: { decision: "allow", signals: [] },
      expiresAt: "2026-12-07T10:10:00.000Z",
    } as unknown as Verification;
    const sent = sentNote(v, { action: "message.sent", seq: 3, id: "evt-1", hash: "h" } as unknown as ChainedAuditEvent, false);
    assert.match(sent, /Method: approval by the manager, by email to m•••@c•••\.com/);
    assert.match(sent, /Jane &lt;Doe&gt;'s manager was emailed a link to approve; the answer appears here\./);
    const event = {
      action: "approval.approved",
      reason: "manager_approved",
      actor: "manager:approval",
      at: "2026-12-07T10:03:00.000Z",
      seq: 4,
      id: "evt-2",
      hash: "h2",
      data: { by: "Morgan Manager (manager of Jane <Doe>, on the approval page)" },
    } as unknown as ChainedAuditEvent;
    const result = await resultNote(v, event, undefined as never);
    assert.match(result, /Verity: caller VERIFIED/);
    assert.match(result, /Result: manager approved/);
    assert.match(result, /Recorded by: Morgan Manager \(manager of Jane &lt;Doe&gt;, on the approval page\)/);
    assert.match(result, /Assurance: .*possession/i);
  });
});

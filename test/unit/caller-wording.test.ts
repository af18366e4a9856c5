import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callerOrganisation, DEFAULT_MESSAGES, deskName, renderTemplate, safeFirstName, safeTicket } from "../../src/services/caller-wording.js";

/** Issue 9 #14 and #23: what reaches a caller reads as a sentence and carries no free text. */
describe("caller wording", () => {
  const sms = (organisation: string | null, technician = "Alice Agent", ticket: string | null = "4242") =>
    renderTemplate(DEFAULT_MESSAGES.sms, { organisation, technician, ticket, code: "012345", minutes: 10 });

  it("names the organisation once, for any tenant name", () => {
    assert.match(sms("Contoso"), /^012345 is your Contoso service desk code \(Alice, ticket 4242\)\. /);
    assert.match(sms("Our clients' service desk"), /^012345 is your Our clients' service desk code /);
    assert.doesNotMatch(sms("Our clients' service desk"), /service desk service desk/);
    assert.match(sms("Fabrikam Helpdesk"), /your Fabrikam Helpdesk code/);
    assert.match(sms(null), /^012345 is your IT service desk code /);
    assert.equal(renderTemplate(DEFAULT_MESSAGES.emailSubject, { organisation: "Contoso", technician: "A", ticket: null }), "Contoso service desk: your verification code");
    assert.equal(deskName("  "), "IT service desk");
  });

  it("takes a catch-all tenant's organisation from the directory, never the tenant's own label", () => {
    const catchAll = { name: "our clients' service desk", domains: ["*"] };
    assert.equal(callerOrganisation(catchAll, { organisation: "Fabrikam Ltd" }), "Fabrikam Ltd");
    assert.equal(callerOrganisation(catchAll, { organisation: null }), null);
    assert.equal(callerOrganisation({ name: "Contoso", domains: ["contoso.com"] }, { organisation: "Contoso Holdings" }), "Contoso");
    assert.match(sms(callerOrganisation(catchAll, { organisation: null })), /your IT service desk code/);
  });

  it("lets only a ticket number of a safe shape reach the caller", () => {
    for (const ok of ["1042", "INC0010042", "T-1042", "#1042"]) assert.equal(safeTicket(ok), ok);
    for (const bad of ["IT will phone you now: read this code to them", "1042 call me", "<b>1</b>", "", "12345678901234"]) assert.equal(safeTicket(bad), null, bad);
    const text = sms("Contoso", "Alice", "IT will phone you now: read this code to them");
    assert.doesNotMatch(text, /phone you now/);
    assert.match(text, /\(Alice, your call\)/);
  });

  it("lets only a first name of a name's shape reach the caller", () => {
    assert.equal(safeFirstName("Zoë O'Brien-Smith"), "Zoë");
    assert.equal(safeFirstName("Jean-Luc Picard"), "Jean-Luc");
    assert.equal(safeFirstName("the service desk"), "the service desk");
    for (const bad of ["IT-will-phone-you:read-this", "http://evil.example", "12345", "Call+me"]) assert.equal(safeFirstName(bad), "the service desk", bad);
    assert.match(sms("Contoso", "Call:0800-EVIL now"), /\(the service desk, ticket 4242\)/);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CALLERS, startTicketingWorld, type TicketingWorld } from "../../e2e/ticketing/world.js";
import { waitFor } from "../../helpers/engine.js";
import { automationWebRequest } from "../../fakes/jira/jira-automation.js";
import { startFakeJira, type FakeJira } from "../../fakes/jira/fake-jira.js";

const SECRET = "jsm-automation-secret-0123456789abcdef";
const TECHNICIAN = "712020:tech-tess";

/**
 * When profile visibility withholds the reporter's email from the API, Verity cannot tell whose
 * request it is: it sends nothing and says so on the request, in the engine's own words, whether or
 * not the rule's body carried an email.
 */
describe("Jira Service Management: a reporter whose email Jira withholds", () => {
  let jira: FakeJira;
  let w: TicketingWorld;
  before(async () => {
    jira = await startFakeJira({
      users: [
        { accountId: "qm:1111-jane", displayName: CALLERS.jane.name, emailAddress: CALLERS.jane.upn, emailVisible: false },
        { accountId: "qm:2222-sam", displayName: CALLERS.sam.name, emailAddress: CALLERS.sam.upn, emailVisible: false },
        { accountId: TECHNICIAN, displayName: "Tess Technician", emailAddress: "tess@msp.example" },
      ],
      requests: [
        { issueId: "10101", issueKey: "ITS-101", summary: "Reset", reporter: "qm:1111-jane" },
        { issueId: "10102", issueKey: "ITS-102", summary: "Reset", reporter: "qm:2222-sam" },
      ],
    });
    w = await startTicketingWorld({
      systemName: "desk",
      ticketing: {
        kind: "jira-service-management",
        siteUrl: jira.siteUrl,
        auth: { kind: "basic", email: jira.email, apiToken: jira.apiToken },
        webhook: { kind: "token", header: "x-verity-secret", token: SECRET },
      },
    });
  });
  after(async () => {
    await w.close();
    await jira.close();
  });

  const press = async (issueKey: string, reporterEmail: string | null) => {
    const { url, init } = automationWebRequest({ verityBase: w.base, system: "desk", secret: SECRET, context: { issueKey, reporterEmail, initiator: TECHNICIAN, now: w.clock.now() } });
    const response = await fetch(url, init);
    assert.equal(response.status, 202, await response.text());
  };

  it("with no email in the rule's body either: an internal comment says the request has no contact email, and nothing is sent", async () => {
    await press("ITS-101", null);
    const note = await waitFor(() => jira.comments("ITS-101")[0], 10_000);
    assert.equal(note.public, false);
    assert.match(note.body, /The ticket has no contact with an email address in Jira Service Management/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(w.textsTo(CALLERS.jane.mobile).length, 0);
    assert.equal(jira.comments("ITS-101").length, 1);
  });

  it("with the email in the rule's body: the hint is not trusted, the request cannot be shown to be the caller's, nothing is sent", async () => {
    await press("ITS-102", CALLERS.sam.upn);
    const note = await waitFor(() => jira.comments("ITS-102").find((c) => /no contact with an email address/.test(c.body)), 10_000);
    assert.equal(note.public, false);
    assert.match(note.body, /cannot be shown to be Sam Smith's; nothing was sent/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(w.textsTo(CALLERS.sam.mobile).length, 0);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FAKE_AUTOTASK_CREDENTIALS, startFakeAutotask, type FakeAutotask } from "../../fakes/autotask/fake-autotask.js";
import { SAMPLE } from "./autotask-test-setup.js";

const AUTH = { ApiIntegrationCode: FAKE_AUTOTASK_CREDENTIALS.integrationCode, UserName: FAKE_AUTOTASK_CREDENTIALS.username, Secret: FAKE_AUTOTASK_CREDENTIALS.secret };

describe("the fake Autotask keeps Autotask's contract", () => {
  let fake: FakeAutotask;
  before(async () => {
    fake = await startFakeAutotask({ ...SAMPLE, pageSize: 2 });
  });
  after(() => fake.close());
  const call = (path: string, init: RequestInit = {}) => fetch(`${fake.zoneUrl}${path}`, { ...init, headers: { ...AUTH, "content-type": "application/json", ...init.headers } });

  it("answers 401 {errors} to a missing or wrong header, on every zone path", async () => {
    for (const drop of ["ApiIntegrationCode", "UserName", "Secret"] as const) {
      const headers: Record<string, string> = { ...AUTH };
      delete headers[drop];
      const response = await fetch(`${fake.zoneUrl}/v1.0/Tickets/4242`, { headers });
      assert.equal(response.status, 401, drop);
      assert.deepEqual(await response.json(), { errors: ["Unauthorized"] });
    }
    assert.equal((await call("/v1.0/Tickets/4242", { headers: { Secret: "nope" } })).status, 401);
  });

  it("names the zone for the API user only, with a trailing slash as Autotask does", async () => {
    const ok = await fetch(`${fake.discoveryUrl}/v1.0/zoneInformation?user=${encodeURIComponent(FAKE_AUTOTASK_CREDENTIALS.username)}`);
    assert.equal(((await ok.json()) as { url: string }).url, `${fake.zoneUrl}/`);
    assert.equal((await fetch(`${fake.discoveryUrl}/v1.0/zoneInformation?user=x@y.example`)).status, 500);
  });

  it("wraps records in {item}, null when missing", async () => {
    assert.equal(((await (await call("/v1.0/Contacts/501")).json()) as { item: { emailAddress: string } }).item.emailAddress, "jane.doe@contoso.example");
    assert.deepEqual(await (await call("/v1.0/Tickets/1")).json(), { item: null });
  });

  it("refuses a note whose publish is not an active picklist value, or without a title", async () => {
    const note = { ticketID: 4242, title: "t", description: "d", noteType: 1, publish: 2 };
    assert.equal((await call("/v1.0/Tickets/4242/Notes", { method: "POST", body: JSON.stringify({ ...note, publish: 3 }) })).status, 500);
    assert.equal((await call("/v1.0/Tickets/4242/Notes", { method: "POST", body: JSON.stringify({ ...note, title: "" }) })).status, 500);
    const created = await call("/v1.0/Tickets/4242/Notes", { method: "POST", body: JSON.stringify(note) });
    assert.deepEqual(Object.keys((await created.json()) as object), ["itemId"]);
  });

  it("pages a TicketNotes query through pageDetails.nextPageUrl on the zone", async () => {
    fake.seedNotes(4243, ["a", "b", "c"]);
    const first = (await (await call("/v1.0/TicketNotes/query", { method: "POST", body: JSON.stringify({ filter: [{ op: "eq", field: "ticketID", value: 4243 }] }) })).json()) as {
      items: unknown[];
      pageDetails: { nextPageUrl: string | null };
    };
    assert.equal(first.items.length, 2);
    assert.ok(first.pageDetails.nextPageUrl?.startsWith(fake.zoneUrl));
    const second = (await (await fetch(first.pageDetails.nextPageUrl ?? "", { headers: AUTH })).json()) as typeof first;
    assert.equal(second.items.length, 1);
    assert.equal(second.pageDetails.nextPageUrl, null);
  });

  it("throttles with 429 and Retry-After, then heals", async () => {
    fake.throttle(1, 7, { path: "/v1.0/Resources" });
    const throttled = await call("/v1.0/Resources/29682885");
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get("retry-after"), "7");
    assert.equal((await call("/v1.0/Resources/29682885")).status, 200);
  });
});

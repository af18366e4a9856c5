import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { usableManager } from "../../../src/domain/manager.js";
import { APP_ID, CONTOSO, findSettled, SECRET, startHarness, USERS, type Harness } from "./entra-fixtures.js";

/** PROVIDERS.md 12: the manager, expanded on the user beside the other reads of a lookup. */
describe("Entra directory: the caller's manager", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  const managerReads = (objectId: string) => h.fake.requests.filter((r) => r.path === `/graph/v1.0/users/${objectId}` && r.query.$expand !== undefined);

  it("reads the manager by expanding the user (User.Read.All), with $levels as Graph requires beside $select", async () => {
    const user = await findSettled(h.directory(), "jane.doe@contoso.example");
    assert.deepEqual(user?.manager, { id: `${CONTOSO}:${USERS.alex}`, displayName: "Alex Kim", email: "alex.kim@contoso.example" });
    const [read] = managerReads(USERS.jane);
    assert.deepEqual(read?.query, { $select: "id", $expand: "manager($levels=1;$select=id,displayName,mail,userPrincipalName)" });
    assert.equal(read?.status, 200);
    assert.equal(read?.consistencyLevel, undefined, "no advanced query: $count is not asked");
    assert.equal(h.fake.count(`/graph/v1.0/users/${USERS.jane}/manager`), 0, "never the /manager navigation app-only tokens may be refused");
    assert.ok(user !== null && "manager" in usableManager(user));
  });

  it("leaves the manager out when none is set", async () => {
    const user = await findSettled(h.directory(), "alex.kim@contoso.example");
    assert.ok(user !== null);
    assert.equal(user.manager, undefined);
    assert.equal(managerReads(USERS.alex).length, 1);
    const usable = usableManager(user);
    assert.ok("reason" in usable);
    assert.match(usable.reason, /names no manager for Alex Kim/);
  });

  it("keeps a manager without mail, and usableManager refuses them", async () => {
    const user = await findSettled(h.directory(), "sam.admin@contoso.example");
    assert.deepEqual(user?.manager, { id: `${CONTOSO}:${USERS.danaWhite}`, displayName: "Dana White", email: null });
    const usable = usableManager(user);
    assert.ok("reason" in usable && /no email address/.test(usable.reason));
  });

  it("refuses a caller who is their own manager", async () => {
    const user = await findSettled(h.directory(), "o'brien@contoso.example");
    assert.equal(user?.manager?.id, `${CONTOSO}:${USERS.obrien}`);
    const usable = usableManager(user);
    assert.ok("reason" in usable && /own manager/.test(usable.reason));
  });

  it("starts the manager read with the method reads, not after them", async () => {
    h.fake.setLatency(60);
    try {
      const directory = h.directory({ tenantId: CONTOSO });
      await findSettled(directory, "jane.doe@contoso.example");
      h.fake.resetStats();
      const user = await findSettled(directory, "jane.doe@contoso.example");
      assert.equal(user?.manager?.displayName, "Alex Kim");
      // Six requests in flight at once: the manager read overlapped the five method, role and audit reads.
      assert.equal(h.fake.maxInFlight(), 6);
    } finally {
      h.fake.setLatency(0);
    }
  });

  it("still finds the caller when the manager read fails, without a manager, and logs why", async () => {
    // Found by UPN, the user comes from /users?$filter, so only the manager read hits this path.
    h.fake.failNext(new RegExp(`^/graph/v1\\.0/users/${USERS.jane}$`), { status: 503 }, 10);
    const byName = await findSettled(h.directory({ tenantId: CONTOSO }), "jane.doe@contoso.example");
    assert.equal(byName?.displayName, "Jane Doe");
    assert.equal(byName?.phones.length, 3);
    assert.equal(byName?.manager, undefined);
    assert.ok(h.logs.some((line) => line.includes("manager could not be read")));
    h.fake.clearFailures();
  });

  it("fake Graph: both documented reads of a manager (List manager), so the adapter's tests mean something", async () => {
    const form = new URLSearchParams({ client_id: APP_ID, client_secret: SECRET, scope: `${h.fake.graphUrl}/.default`, grant_type: "client_credentials" });
    const token = ((await (await fetch(`${h.fake.loginUrl}/${CONTOSO}/oauth2/v2.0/token`, { method: "POST", body: form })).json()) as { access_token: string }).access_token;
    const get = (path: string) => fetch(`${h.fake.graphUrl}/v1.0${path}`, { headers: { authorization: `Bearer ${token}` } });
    const navigation = await get(`/users/${USERS.jane}/manager`);
    assert.equal(navigation.status, 200);
    const manager = (await navigation.json()) as Record<string, unknown>;
    assert.deepEqual([manager["@odata.type"], manager.id, manager.displayName, manager.mail], ["#microsoft.graph.user", USERS.alex, "Alex Kim", "alex.kim@contoso.example"]);
    const none = await get(`/users/${USERS.alex}/manager`);
    assert.equal(none.status, 404);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, "Request_ResourceNotFound");
    const expanded = (await (await get(`/users/${USERS.jane}?$select=id&$expand=manager`)).json()) as { id: string; manager?: Record<string, unknown> };
    assert.equal(expanded.manager?.id, USERS.alex);
    assert.equal(expanded.manager?.jobTitle, null, "without $select the manager's default properties");
    const withoutLevels = await get(`/users/${USERS.jane}?$select=id&$expand=${encodeURIComponent("manager($select=id,mail)")}`);
    assert.equal(withoutLevels.status, 400, "$levels is required once $select is inside the expansion");
    const unknown = await get(`/users/${USERS.jane}?$expand=directReportz`);
    assert.equal(unknown.status, 400);
  });
});

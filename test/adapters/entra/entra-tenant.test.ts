import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { createEntraDirectory } from "../../../src/adapters/directory/entra/entra-directory.js";
import { CONTOSO, FABRIKAM, failure, startHarness, USERS, type Harness } from "./entra-fixtures.js";

const DISCOVERY = /\/v2\.0\/\.well-known\/openid-configuration$/;
const HOUR = 3_600_000;

describe("Entra directory: tenant resolution", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => h.fake.resetStats());

  it("resolves the tenant from the caller's domain and returns the composite id", async () => {
    const user = await h.directory().findUser("jane.doe@contoso.example");
    assert.equal(user?.id, `${CONTOSO}:${USERS.jane}`);
    assert.equal(h.fake.count("/login/contoso.example/v2.0/.well-known/openid-configuration"), 1);
    assert.equal(h.fake.count(`/login/${CONTOSO}/oauth2/v2.0/token`), 1, "the token is taken for the resolved GUID");
  });

  it("uses a pinned tenantId without discovery, and ignores other tenants' ids", async () => {
    const directory = h.directory({ tenantId: CONTOSO });
    assert.equal((await directory.findUser("jane.doe@contoso.example"))?.upn, "jane.doe@contoso.example");
    assert.equal((await directory.findUser(USERS.jane))?.upn, "jane.doe@contoso.example", "a bare object id works when pinned");
    assert.equal(await directory.findUser(`${FABRIKAM}:${USERS.fabi}`), null);
    assert.equal(h.fake.count(DISCOVERY), 0);
  });

  it("reads only the Entra tenant of its Verity tenant's domain when given one", async () => {
    const directory = createEntraDirectory(h.config(), { clock: h.clock, log: pino({ level: "silent" }), tenantDomain: "contoso.example" });
    try {
      assert.equal((await directory.findUser("jane.doe@contoso.example"))?.id, `${CONTOSO}:${USERS.jane}`);
      assert.equal(await directory.findUser("fabi@fabrikam.example"), null, "another consented tenant is out of reach");
      assert.equal(await directory.findUser(`${FABRIKAM}:${USERS.fabi}`), null);
      assert.equal(h.fake.count("/login/fabrikam.example/v2.0/.well-known/openid-configuration"), 0);
    } finally {
      await directory.close();
    }
  });

  it("keeps a resolved tenant for 24 hours", async () => {
    const directory = h.directory();
    await directory.findUser("fabi@fabrikam.example");
    h.clock.advance(23 * HOUR);
    await directory.findUser("fabi@fabrikam.example");
    assert.equal(h.fake.count(DISCOVERY), 1);
    h.clock.advance(HOUR + 1000);
    await directory.findUser("fabi@fabrikam.example");
    assert.equal(h.fake.count(DISCOVERY), 2);
  });

  it("refuses an unknown domain with TENANT_NOT_FOUND and remembers it for 5 minutes", async () => {
    const directory = h.directory();
    const refused = await failure(directory.findUser("someone@nowhere.example"));
    assert.equal(refused.code, "TENANT_NOT_FOUND");
    assert.match(refused.message, /No Microsoft Entra tenant has verified the domain nowhere\.example \(AADSTS90002\)/);
    await failure(directory.findUser("other@nowhere.example"));
    assert.equal(h.fake.count(DISCOVERY), 1);
    h.clock.advance(5 * 60_000 + 1000);
    assert.equal((await failure(directory.findUser("someone@nowhere.example"))).code, "TENANT_NOT_FOUND");
    assert.equal(h.fake.count(DISCOVERY), 2);
  });

  it("shares one discovery fetch between concurrent lookups of a domain", async () => {
    h.fake.setLatency(30);
    try {
      const directory = h.directory();
      const users = await Promise.all(Array.from({ length: 8 }, () => directory.findUser("jane.doe@contoso.example")));
      assert.ok(users.every((u) => u?.id === `${CONTOSO}:${USERS.jane}`));
      assert.equal(h.fake.count(DISCOVERY), 1);
    } finally {
      h.fake.setLatency(0);
    }
  });

  it("does not cache a discovery outage", async () => {
    const directory = h.directory();
    h.fake.failNext(DISCOVERY, { status: 503 }, 4);
    assert.equal((await failure(directory.findUser("jane.doe@contoso.example"))).code, "DIRECTORY_UNAVAILABLE");
    assert.equal((await directory.findUser("jane.doe@contoso.example"))?.upn, "jane.doe@contoso.example");
  });

  it("tells the administrator to configure the sovereign cloud a tenant lives in", async () => {
    const refused = await failure(h.directory().findUser("ann@agency.example"));
    assert.equal(refused.code, "TENANT_NOT_FOUND");
    assert.match(refused.message, /microsoftonline\.us cloud/);
    assert.match(refused.message, /loginUrl https:\/\/login\.microsoftonline\.us and graphUrl https:\/\/graph\.microsoft\.us/);
    assert.equal(h.fake.count(/\/token$/), 0, "no token is requested for the wrong cloud");
  });

  it("accepts the sovereign tenant once the directory is configured for its cloud", async () => {
    const directory = h.directory({ cloudInstanceName: "microsoftonline.us" });
    assert.equal(await directory.findUser("ann@agency.example"), null);
    assert.equal(h.fake.count(/\/token$/), 1);
  });

  it("returns null, without any request, for a query that is no user name", async () => {
    const directory = h.directory();
    for (const query of ["", "jane", "@contoso.example", "x@../../graph", "a@b"]) {
      assert.equal(await directory.findUser(query), null, query);
    }
    assert.equal(h.fake.requests.length, 0);
  });
});

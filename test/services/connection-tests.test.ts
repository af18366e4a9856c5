import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createConnectionTests, type ConnectionTests } from "../../src/services/connection-tests.js";
import type { Actor } from "../../src/services/actor.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { isVerityError } from "../../src/domain/errors.js";
import { acmeTenant, ADMIN, createTestRuntime, globexTenant, TECHNICIAN, type TestRuntime } from "../helpers/runtime.js";

const LIMITED: Actor = { id: "user:limited", name: "Lim Ited", role: "admin", tenants: ["acme"] };

describe("connection tests of the configured integrations", () => {
  let t: TestRuntime;
  let tests: ConnectionTests;
  before(async () => {
    t = await createTestRuntime({
      overrides: (dir) => {
        writeFileSync(join(dir, "not-a-folder"), "");
        return {
          tenants: [acmeTenant(dir), globexTenant(dir)],
          audit: { anchor: { sinks: [{ kind: "file", path: join(dir, "anchors.jsonl") }, { kind: "file", path: join(dir, "not-a-folder", "anchors.jsonl") }] } },
        };
      },
    });
    const { runtime } = t;
    tests = createConnectionTests({ tenants: runtime.tenants, config: runtime.config, anchors: runtime.anchors, audit: runtime.audit, clock: runtime.clock });
  });
  after(() => t.close());

  it("lists each tenant's directory, its methods' providers and the anchor sinks", () => {
    const { tenants, anchors } = tests.list(ADMIN);
    assert.deepEqual(tenants.map((v) => v.tenant.id), ["acme", "globex"]);
    const acme = tenants[0];
    assert.deepEqual(acme?.directory, { id: "directory:acme", kind: "directory", name: "acme", product: "Directory file", developmentOnly: false, testable: true });
    assert.deepEqual(
      acme?.methods.map((m) => [m.method, m.integration.id, m.integration.product, m.integration.developmentOnly]),
      [
        ["sms", "provider:console", "Console (development only)", true],
        ["email", "provider:console", "Console (development only)", true],
        ["simulated-push", "provider:phone", "Simulated push (development only)", true],
        ["simulated-passcode", "provider:phone", "Simulated push (development only)", true],
      ],
    );
    assert.deepEqual(acme?.ticketing, []);
    assert.deepEqual(anchors.map((a) => [a.id, a.product]), [["anchor:0", "Audit anchor (file)"], ["anchor:1", "Audit anchor (file)"]]);
  });

  it("shows an admin limited to some tenants only theirs, and no anchors; others nothing", () => {
    const limited = tests.list(LIMITED);
    assert.deepEqual(limited.tenants.map((v) => v.tenant.id), ["acme"]);
    assert.deepEqual(limited.anchors, []);
    assert.deepEqual(tests.list(TECHNICIAN).tenants, []);
  });

  it("runs a test, keeps its result and audits it without secrets", async () => {
    const outcome = await tests.run("directory:acme", ADMIN);
    assert.equal(outcome.ok, true, outcome.detail);
    assert.match(outcome.detail, /directory\.yaml is valid and lists 5 users/);
    assert.equal(outcome.by, ADMIN.name);
    assert.deepEqual(tests.last("directory:acme"), outcome);
    const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
    const audited = events.filter((e) => e.action === "integration.tested");
    assert.equal(audited.length, 1);
    assert.equal(audited[0]?.actor, ADMIN.id);
    assert.equal(audited[0]?.outcome, "ok");
    assert.deepEqual(audited[0]?.data, { by: ADMIN.name, integration: "directory:acme", kind: "directory", name: "acme", product: "Directory file", detail: outcome.detail });
  });

  it("tests one integration at most once every 10 s, so no page can hammer a vendor", async () => {
    await tests.run("provider:phone", ADMIN);
    await assert.rejects(tests.run("provider:phone", ADMIN), (error: unknown) => {
      assert.ok(isVerityError(error) && error.code === "RATE_LIMITED");
      assert.equal(error.retryAfterSeconds, 10);
      assert.match(error.message, /^phone was tested moments ago; wait 10 s before testing it again, so the vendor is not hammered\.$/);
      return true;
    });
    assert.equal((await tests.run("provider:console", ADMIN)).ok, true, "another integration is not held up");
    t.clock.advance(10_001);
    assert.equal((await tests.run("provider:phone", ADMIN)).ok, true);
  });

  it("refuses what the actor may not see, and ids that name nothing", async () => {
    for (const [id, actor] of [["directory:globex", LIMITED], ["anchor:0", LIMITED], ["directory:acme", TECHNICIAN], ["provider:nope", ADMIN]] as const) {
      await assert.rejects(tests.run(id, actor), (error: unknown) => isVerityError(error) && error.code === "NOT_FOUND", id);
    }
    assert.equal((await tests.run("provider:console", LIMITED)).ok, true, "a provider the actor's tenant uses is theirs to test");
  });

  it("sends an anchor sink the current head again, and says why a sink cannot take it", async () => {
    const good = await tests.run("anchor:0", ADMIN);
    assert.equal(good.ok, true, good.detail);
    assert.match(good.detail, /^The file sink .*anchors\.jsonl took the anchor of audit event \d+, the current head\.$/);
    const lines = readFileSync(join(t.dir, "anchors.jsonl"), "utf8").trim().split("\n");
    assert.equal((JSON.parse(lines.at(-1) ?? "{}") as { seq?: number }).seq, Number(/audit event (\d+)/.exec(good.detail)?.[1]));
    const bad = await tests.run("anchor:1", ADMIN);
    assert.equal(bad.ok, false);
    assert.match(bad.detail, /^The file sink .*not-a-folder\/anchors\.jsonl did not take the anchor \((ENOTDIR|EEXIST)\)\.$/);
  });
});

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, it } from "node:test";
import type { IdentityProofingService, PresentationCallback } from "../../src/domain/face-check.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { createConnectionTests } from "../../src/services/connection-tests.js";
import { findVerification } from "../../src/store/verification-dal.js";
import { createFakeClock } from "../helpers/clock.js";
import { linkSentFor } from "../helpers/confirm-link.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { acmeTenant, createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { testPostgres } from "../helpers/postgres.js";
import { describeUnless } from "../helpers/skip.js";
import { FAKE_CLIENT, FAKE_SECRET, FAKE_TENANT, startFakeVerifiedId, type FakeVerifiedId } from "../fakes/verified-id/fake-request-service.js";

const ISSUER = "did:web:verifiedid.acme.test";
const provider = (url: string, key: string) => ({
  kind: "verified-id",
  tenantId: FAKE_TENANT,
  clientId: FAKE_CLIENT,
  clientSecret: FAKE_SECRET,
  authority: ISSUER,
  acceptedIssuers: [ISSUER],
  callbackApiKey: key,
  loginUrl: url,
  requestServiceUrl: url,
});

/**
 * The Face Check engine (services/face-check.ts) without HTTP: the presentation's state is keyed
 * to the live link and kept on the verification row, so it survives a restart; a callback reaches
 * only the verification of its own service and newest request; the caller's lockout holds.
 */
const postgres = await testPostgres();
const DATABASES: { name: string; skip: string | false; url: () => Promise<string | undefined> }[] = [
  { name: "SQLite", skip: false, url: () => Promise.resolve(undefined) },
  { name: "PostgreSQL", skip: "skip" in postgres ? postgres.skip : false, url: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()) },
];

for (const database of DATABASES) describeUnless(`Face Check engine on ${database.name}`, database.skip, () => {
  const clock = createFakeClock(new Date());
  let fake: FakeVerifiedId;
  let t: TestRuntime;
  let runtime: Runtime;
  before(async () => {
    fake = await startFakeVerifiedId({ clock });
    const databaseUrl = await database.url();
    t = await createTestRuntime({
      clock,
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
      overrides: (dir) => ({
        ...ROOMY_LIMITS,
        server: { publicUrl: "https://verity.example.net" },
        providers: {
          console: { kind: "console" },
          phone: { kind: "simulated" },
          acmeid: provider(fake.url, "acme-callback-key-0123456789abcdef012345"),
          otherid: provider(fake.url, "other-callback-key-0123456789abcdef01234"),
        },
        tenants: [
          acmeTenant(dir, {
            methods: { sms: "console", "sms-faceid": { provider: "console", service: "acmeid" } },
            verification: { limits: { failures: { max: 3, windowSeconds: 86_400 } } },
          }),
          {
            id: "globex",
            name: "Globex Test",
            domains: ["globex.test"],
            directory: { kind: "file", path: `${dir}/globex-directory.yaml` },
            methods: { sms: "console", "sms-faceid": { provider: "console", service: "otherid" } },
          },
        ],
      }),
    });
    runtime = t.runtime;
  });
  after(async () => {
    await runtime.close();
    rmSync(t.dir, { recursive: true, force: true });
    await fake.close();
  });

  const service = (name: string): IdentityProofingService => {
    const found = runtime.proofing.get(name);
    assert.ok(found !== undefined);
    return found;
  };
  /** Starts sms-faceid for Jane and presses the button as her page would. */
  async function pressed(user: string = TEST_USERS.jane.upn) {
    const v = await runtime.engine.start(t.technician, { user, method: "sms-faceid", ticket: "3001" });
    const link = await linkSentFor(runtime, v.id);
    const page = await runtime.engine.openLink(link.ref);
    assert.equal(page.kind, "faceid");
    await runtime.engine.startFaceCheck(link.ref, page.nonce);
    const request = fake.requests().at(-1);
    assert.ok(request !== undefined);
    return { v, link, page, request };
  }
  const verifiedBody = (request: { requestId: string; body: { callback: { state: string } } }, score = 90): PresentationCallback => ({
    status: "presentation_verified",
    requestId: request.requestId,
    state: request.body.callback.state,
    credentials: [{ issuer: ISSUER, types: ["VerifiableCredential", "VerifiedEmployee"], revocationStatus: "VALID", revocationId: TEST_USERS.jane.upn, mail: null, score }],
  });
  const stateOf = async (id: string) => (await findVerification(runtime.database.db, id))?.state;

  it("the integrations page lists the Verified ID service beside the channel, and its test fetches a token only", async () => {
    const tests = createConnectionTests({ tenants: runtime.tenants, config: runtime.config, anchors: runtime.anchors, audit: runtime.audit, clock: runtime.clock });
    const acme = tests.list(t.admin).tenants.find((v) => v.tenant.id === "acme");
    assert.deepEqual(
      acme?.methods.filter((m) => m.method === "sms-faceid").map((m) => [m.integration.id, m.integration.product, m.integration.testable]),
      [
        ["provider:console", "Console (development only)", true],
        ["provider:acmeid", "Microsoft Entra Verified ID (Face Check)", true],
      ],
    );
    const before = fake.requests().length;
    const outcome = await tests.run("provider:acmeid", t.admin);
    assert.equal(outcome.ok, true, outcome.detail);
    assert.match(outcome.detail, /token for the Verified ID Request Service/);
    assert.equal(fake.requests().length, before, "no presentation request is created by a test");
  });

  it("verifies once; the used link's button then creates nothing", async () => {
    const { v, link, page, request } = await pressed();
    assert.equal(await runtime.engine.faceCheckCallback(service("acmeid"), verifiedBody(request)), "taken");
    assert.equal(await stateOf(v.id), "verified");
    const before = fake.requests().length;
    await assert.rejects(runtime.engine.startFaceCheck(link.ref, page.nonce), (e: unknown) => e instanceof Error && "code" in e && e.code === "LINK_NOT_VALID");
    assert.equal(fake.requests().length, before);
  });

  it("a callback authenticated by another tenant's Verified ID service changes nothing", async () => {
    const { v, request } = await pressed();
    assert.equal(await runtime.engine.faceCheckCallback(service("otherid"), verifiedBody(request)), "unknown");
    assert.equal(await stateOf(v.id), "sent");
    assert.equal(await runtime.engine.faceCheckCallback(service("acmeid"), verifiedBody(request)), "taken");
    assert.equal(await stateOf(v.id), "verified");
  });

  it("a resent link kills the earlier request: its callbacks change nothing", async () => {
    const { v, request } = await pressed();
    await runtime.engine.resend(t.technician, v.id);
    assert.equal(await runtime.engine.faceCheckCallback(service("acmeid"), verifiedBody(request)), "unknown");
    const after = await findVerification(runtime.database.db, v.id);
    assert.equal(after?.state, "sent");
    assert.equal(after?.evidence, null);
    await runtime.engine.cancel(t.technician, v.id, "test over");
  });

  it("the pending request survives a restart: a new runtime on the same database takes its callback", async () => {
    const { v, request } = await pressed();
    await runtime.close();
    runtime = await createRuntime(t.runtime.loaded, { clock, logDestination: captureLogs().stream, print: () => {} });
    assert.equal(await runtime.engine.faceCheckCallback(service("acmeid"), verifiedBody(request, 81)), "taken");
    const done = await findVerification(runtime.database.db, v.id);
    assert.equal(done?.state, "verified");
    assert.deepEqual(done?.evidence, { assurance: "proofing", faceCheck: { score: 81 } });
  });

  it("failed Face Checks count toward the caller's lockout, and each ending is the verification's receipt", async () => {
    for (let i = 0; i < 3; i += 1) {
      const { v, request } = await pressed(TEST_USERS.chris.upn);
      const failed: PresentationCallback = { status: "presentation_error", requestId: request.requestId, state: request.body.callback.state, errorCode: "claimValidationError" };
      assert.equal(await runtime.engine.faceCheckCallback(service("acmeid"), failed), "taken");
      const view = await runtime.engine.get(t.technician, v.id);
      assert.equal(view.state, "rejected");
      assert.equal(view.receipt?.action, "faceid.failed");
    }
    await assert.rejects(runtime.engine.start(t.technician, { user: TEST_USERS.chris.upn, method: "sms", ticket: "3010" }), (e: unknown) => e instanceof Error && "code" in e && e.code === "SUBJECT_LOCKED");
  });

  it("a caller locked out meanwhile is not verified by a passing presentation (audited as check.refused)", async () => {
    const { v, request } = await pressed();
    // Lock Jane out: as many wrong codes as the tenant allows (3), on a code verification.
    await lockOut(runtime, t, 3);
    assert.equal(await runtime.engine.faceCheckCallback(service("acmeid"), verifiedBody(request)), "taken");
    assert.equal(await stateOf(v.id), "sent", "not verified while locked out");
    const events = await runtime.database.db.selectFrom("audit_events").select(["action", "reason"]).where("verification_id", "=", v.id).execute();
    assert.ok(events.some((e) => e.action === "check.refused"), events.map((e) => e.action).join(", "));
  });
});

/** Fails enough code checks for Jane to reach the failure limit. */
async function lockOut(runtime: Runtime, t: TestRuntime, max: number): Promise<void> {
  for (let failed = 0; failed < max; ) {
    const v = await runtime.engine.start(t.technician, { user: TEST_USERS.jane.upn, method: "sms", ticket: "3009" });
    for (let i = 0; i < v.checks.max && failed < max; i += 1, failed += 1) {
      const result = await runtime.engine.check(t.technician, v.id, "000000").catch(() => null);
      if (result === null) break;
    }
  }
}

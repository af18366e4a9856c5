import assert from "node:assert/strict";
import { it } from "node:test";
import { isVerityError, type ErrorCode } from "../../src/domain/errors.js";
import type { Actor } from "../../src/services/actor.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { describeUnless } from "../helpers/skip.js";
import { testPostgres } from "../helpers/postgres.js";
import { createTestRuntime, type TestRuntime } from "../helpers/runtime.js";
import { totpCode, wrongTotpCode } from "../helpers/totp.js";

const postgres = await testPostgres();
const DIALECTS: { name: string; skip: string | false; url: () => Promise<string | undefined> }[] = [
  { name: "SQLite", skip: false, url: () => Promise.resolve(undefined) },
  { name: "PostgreSQL", skip: "skip" in postgres ? postgres.skip : false, url: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()) },
];

const PASSWORD = "correct horse battery";
const ACME_ADMIN: Actor = { id: "token:acme-admin", name: "Acme Admin", role: "admin", tenants: ["acme"] };

const rejects = async (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (error: unknown) => isVerityError(error) && error.code === code);

for (const dialect of DIALECTS) {
  describeUnless(`local web accounts (${dialect.name})`, dialect.skip, () => {
    const withRuntime = (test: (t: TestRuntime) => Promise<void>) => async () => {
      const url = await dialect.url();
      const t = await createTestRuntime(url === undefined ? {} : { databaseUrl: url });
      try {
        await test(t);
      } finally {
        await t.close();
      }
    };
    const create = (t: TestRuntime, username: string, extra: { tenants?: readonly string[] | null; by?: Actor } = {}) =>
      t.runtime.webUsers.createLocal({ username, displayName: `${username} Person`, role: "technician", tenants: extra.tenants ?? null, password: PASSWORD }, extra.by ?? t.admin);
    const signIn = (t: TestRuntime, username: string, secret: string, password = PASSWORD) =>
      t.runtime.webUsers.signInLocal({ username, password, totp: totpCode(secret, t.clock) });
    const signinReasons = async (t: TestRuntime) =>
      (await listAuditEvents(t.runtime.database.db, { limit: 1000 })).filter((e) => e.action === "signin.failed").map((e) => e.reason);

    it("signs in with the password and a TOTP code, and a code works once", withRuntime(async (t) => {
      const { user, totp } = await create(t, "Ann");
      assert.equal(user.username, "ann");
      assert.match(totp.uri, /^otpauth:\/\/totp\/Verity:ann\?issuer=Verity&secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30$/);
      const signedIn = await signIn(t, "ANN", totp.secret);
      assert.equal(signedIn.lastSigninAt, t.clock.now().toISOString());
      await rejects(signIn(t, "ann", totp.secret), "SIGNIN_FAILED");
      t.clock.advance(30_000);
      await signIn(t, "ann", totp.secret);
      assert.deepEqual(await signinReasons(t), ["TOTP code already used"]);
    }));

    it("locks the account at the fifth failure in a row, says for how long, and lets it in after", withRuntime(async (t) => {
      const { totp } = await create(t, "bob");
      for (let i = 1; i <= 4; i += 1) await rejects(signIn(t, "bob", totp.secret, "wrong password!"), "SIGNIN_FAILED");
      await assert.rejects(t.runtime.webUsers.signInLocal({ username: "bob", password: PASSWORD, totp: wrongTotpCode(totp.secret, t.clock) }), (error: unknown) => {
        assert.ok(isVerityError(error) && error.code === "ACCOUNT_LOCKED");
        assert.equal(error.retryAfterSeconds, 900);
        assert.match(error.message, /try again in 15 minutes/);
        return true;
      });
      t.clock.advance(10 * 60_000);
      await assert.rejects(signIn(t, "bob", totp.secret), (error: unknown) => isVerityError(error) && error.code === "ACCOUNT_LOCKED" && error.retryAfterSeconds === 300);
      t.clock.advance(5 * 60_000);
      await signIn(t, "bob", totp.secret);
      t.clock.advance(30_000);
      await rejects(signIn(t, "bob", totp.secret, "wrong password!"), "SIGNIN_FAILED");
      assert.deepEqual(await signinReasons(t), [...Array<string>(4).fill("wrong password"), "wrong TOTP code", "account locked", "wrong password"]);
    }));

    it("counts parallel guesses exactly: only five reach the password check", withRuntime(async (t) => {
      const { totp } = await create(t, "carol");
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => signIn(t, "carol", totp.secret, "parallel guess!")));
      const codes = results.map((r) => (r.status === "rejected" && isVerityError(r.reason) ? r.reason.code : "signed in"));
      assert.equal(codes.filter((c) => c === "SIGNIN_FAILED").length, 4);
      assert.equal(codes.filter((c) => c === "ACCOUNT_LOCKED").length, 8);
      assert.equal((await signinReasons(t)).filter((r) => r === "wrong password").length, 5);
    }));

    it("never locks a name that does not exist (the answer stays the same)", withRuntime(async (t) => {
      for (let i = 0; i < 6; i += 1) await rejects(t.runtime.webUsers.signInLocal({ username: "ghost", password: PASSWORD, totp: "123456" }), "SIGNIN_FAILED");
    }));

    it("disabling ends sessions and refuses sign-in; enabling lifts a lockout; nobody disables themselves", withRuntime(async (t) => {
      const { user, totp } = await create(t, "dave");
      const { cookie } = await t.runtime.webSessions.start(await signIn(t, "dave", totp.secret), "local");
      await t.runtime.webUsers.setDisabled(user.id, true, t.admin);
      assert.equal(await t.runtime.webSessions.resolve(cookie), null);
      t.clock.advance(30_000);
      await rejects(signIn(t, "dave", totp.secret), "SIGNIN_FAILED");
      for (let i = 0; i < 4; i += 1) await rejects(signIn(t, "dave", totp.secret, "wrong password!"), i < 3 ? "SIGNIN_FAILED" : "ACCOUNT_LOCKED");
      await t.runtime.webUsers.setDisabled(user.id, false, t.admin);
      t.clock.advance(30_000);
      await signIn(t, "dave", totp.secret);
      await rejects(t.runtime.webUsers.setDisabled(user.id, true, { id: `user:${user.id}`, name: "Dave", role: "admin", tenants: null }), "FORBIDDEN");
      const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
      assert.deepEqual(events.filter((e) => e.action.startsWith("user.")).map((e) => [e.action, e.data?.sessionsEnded ?? null]), [["user.created", null], ["user.disabled", 1], ["user.enabled", 0]]);
    }));

    it("resets the TOTP secret: the old authenticator stops working, sessions end, the change is audited", withRuntime(async (t) => {
      const { user, totp } = await create(t, "erin");
      const { cookie } = await t.runtime.webSessions.start(await signIn(t, "erin", totp.secret), "local");
      const reset = await t.runtime.webUsers.resetTotp(user.id, t.admin);
      assert.notEqual(reset.totp.secret, totp.secret);
      assert.equal(await t.runtime.webSessions.resolve(cookie), null);
      t.clock.advance(30_000);
      await rejects(signIn(t, "erin", totp.secret), "SIGNIN_FAILED");
      t.clock.advance(30_000);
      await signIn(t, "erin", reset.totp.secret);
      const events = await listAuditEvents(t.runtime.database.db, { limit: 1000 });
      const audited = events.find((e) => e.action === "user.totp_reset");
      assert.deepEqual([audited?.actor, audited?.data?.userId, audited?.data?.sessionsEnded], [t.admin.id, user.id, 1]);
      const sso = await t.runtime.webUsers.upsertSso({ provider: "entra", subject: "s-1", displayName: "Sso Person", email: null, role: "technician", tenants: null });
      await rejects(t.runtime.webUsers.resetTotp(sso.id, t.admin), "VALIDATION_FAILED");
    }));

    it("an admin limited to some tenants grants and manages only those", withRuntime(async (t) => {
      const scoped = await create(t, "frank", { by: ACME_ADMIN });
      assert.deepEqual(scoped.user.tenants, ["acme"]);
      await rejects(create(t, "gina", { by: ACME_ADMIN, tenants: ["acme", "globex"] }), "FORBIDDEN");
      const everywhere = await create(t, "hal");
      await rejects(t.runtime.webUsers.setDisabled(everywhere.user.id, true, ACME_ADMIN), "FORBIDDEN");
      await rejects(t.runtime.webUsers.resetTotp(everywhere.user.id, ACME_ADMIN), "FORBIDDEN");
      await t.runtime.webUsers.setDisabled(scoped.user.id, true, ACME_ADMIN);
      await rejects(create(t, "ida", { by: t.technician }), "FORBIDDEN");
    }));

    it("refuses bad input with VALIDATION_FAILED and a taken username with CONFLICT", withRuntime(async (t) => {
      await create(t, "jo");
      await rejects(create(t, "JO"), "CONFLICT");
      await rejects(create(t, "x"), "VALIDATION_FAILED");
      await rejects(create(t, "has space"), "VALIDATION_FAILED");
      await rejects(t.runtime.webUsers.createLocal({ username: "kim", displayName: " ", role: "auditor", tenants: null, password: PASSWORD }, t.admin), "VALIDATION_FAILED");
      await rejects(t.runtime.webUsers.createLocal({ username: "kim", displayName: "Kim", role: "auditor", tenants: null, password: "too short" }, t.admin), "VALIDATION_FAILED");
    }));
  });
}

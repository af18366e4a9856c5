import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, it } from "node:test";
import { stringify } from "yaml";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { basicAuthorization, runbookBody } from "../fakes/halopsa/halo-webhooks.js";
import { startFakeHalo, type FakeHalo } from "../fakes/halopsa/fake-halo.js";
import { startFakeTwilio, twilioProviderConfig, type FakeTwilio } from "../fakes/twilio/fake-twilio.js";
import { BIN, runCli } from "../helpers/cli.js";
import { testPostgres } from "../helpers/postgres.js";
import { freePort } from "../helpers/net.js";

/**
 * SECURITY.md R5: a real `verity serve` process is killed with SIGKILL at staggered points while
 * HaloPSA presses are in flight (webhook, directory, Twilio send, ticket notes), then restarted,
 * round after round. Afterwards: no caller got two texts, every text has its verification, no
 * accepted press was lost or left half-done, every started verification has exactly one
 * "started" note on its ticket, and the audit chain verifies.
 */
const ROUNDS = 6;
const PRESSES_PER_ROUND = 5;
/** Milliseconds between the presses and the kill, one per round: from "at once" to "mid-notes". */
const KILL_AFTER_MS = [0, 30, 70, 120, 200, 350];
const WEBHOOK = { username: "halo-webhook", password: "a-long-webhook-password-0123456789" };
const USERS = Array.from({ length: ROUNDS * PRESSES_PER_ROUND }, (_, i) => ({
  n: i,
  upn: `caller${i}@crash.example`,
  mobile: `+1425555${String(200 + i).padStart(4, "0")}`,
  ticket: 7000 + i,
  haloUser: 800 + i,
}));

const postgres = await testPostgres();
const DIALECTS = [
  { name: "SQLite", skip: false as string | false, url: (dir: string) => Promise.resolve(`sqlite:${join(dir, "data", "verity.db")}`) },
  {
    name: "PostgreSQL",
    skip: "skip" in postgres ? postgres.skip : (false as string | false),
    url: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()),
  },
];

for (const dialect of DIALECTS) {
  describeUnless(`crash recovery: kill -9 during HaloPSA presses on ${dialect.name}`, dialect.skip, () => {
    let dir: string;
    let twilio: FakeTwilio;
    let halo: FakeHalo;
    let configPath: string;
    let databaseUrl: string;
    let port: number;
    const accepted = new Set<number>();

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "verity-crash-"));
      twilio = await startFakeTwilio({ latencyMs: 15 });
      halo = await startFakeHalo({
        latencyMs: 15,
        tickets: USERS.map((u) => ({ id: u.ticket, summary: `Reset for caller ${u.n}`, user_id: u.haloUser, client_id: 1 })),
        users: USERS.map((u) => ({ id: u.haloUser, name: u.upn, emailaddress: u.upn, client_id: 1 })),
      });
      databaseUrl = await dialect.url(dir);
      port = await freePort();
      writeFileSync(join(dir, "directory.yaml"), stringify({ users: USERS.map((u) => ({ id: `c-${u.n}`, upn: u.upn, displayName: `Caller ${u.n}`, phones: { mobile: u.mobile } })) }));
      configPath = join(dir, "verity.yaml");
      writeFileSync(
        configPath,
        stringify({
          dataDir: join(dir, "data"),
          server: { host: "127.0.0.1", port, publicUrl: `http://127.0.0.1:${port}` },
          database: { url: databaseUrl },
          security: { hashKey: "crash-test-hash-key-0123456789-abcdefghij" },
          log: { level: "warn" },
          jobs: { lockSeconds: 5 },
          providers: {
            twilio: twilioProviderConfig(twilio),
          },
          ticketing: {
            halo: { kind: "halopsa", authUrl: halo.authUrl, apiUrl: halo.apiUrl, clientId: "verity-client", clientSecret: "verity-secret-0123456789", webhook: { kind: "basic", ...WEBHOOK } },
          },
          tenants: [
            {
              id: "crash",
              name: "Crash Test",
              domains: ["crash.example"],
              directory: { kind: "file", path: "directory.yaml" },
              methods: { sms: "twilio" },
              ticketing: { system: "halo" },
            },
          ],
        }),
      );
    });

    after(async () => {
      await Promise.all([twilio.close(), halo.close()]);
      rmSync(dir, { recursive: true, force: true });
    });

    const serve = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [BIN, "serve", "--config", configPath], { stdio: "ignore" });
      for (let i = 0; i < 200; i += 1) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
        if (ready) return child;
        await sleep(25);
      }
      child.kill("SIGKILL");
      throw new Error("verity serve did not become ready");
    };

    const press = async (u: (typeof USERS)[number]) => {
      const body = runbookBody([{ email: u.upn, ticketId: u.ticket, id: `press-${u.n}`, timestamp: new Date().toISOString() }]);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/hooks/halopsa`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basicAuthorization(WEBHOOK.username, WEBHOOK.password) },
          body: JSON.stringify(body),
        });
        if (response.status === 202) accepted.add(u.n);
      } catch {
        // Killed before it answered: Halo would retry; the press may or may not have been recorded.
      }
    };

    it("loses no accepted press, sends no text twice, posts each note once, and keeps the chain whole", async (t) => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const child = await serve();
        const batch = USERS.slice(round * PRESSES_PER_ROUND, (round + 1) * PRESSES_PER_ROUND);
        const inFlight = batch.map(press);
        await sleep(KILL_AFTER_MS[round] ?? 0);
        child.kill("SIGKILL");
        await Promise.all(inFlight);
        await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve)));
      }
      assert.ok(accepted.size > 0, "some presses were accepted before a kill");

      // The last start runs everything left: jobs the dead processes held come back after their lock.
      const child = await serve();
      let db: DatabaseHandle | undefined;
      try {
        db = openDatabase(databaseUrl);
        await migrate(db.db);
        const handle = db;
        const settled = async () => {
          const rows = await handle.db.selectFrom("verifications").select(["origin", "state", "ticket"]).execute();
          const pendingJobs = await handle.db.selectFrom("jobs").select("id").where("state", "=", "pending").execute();
          return { rows, done: pendingJobs.length === 0 && rows.every((r) => r.state !== "pending") && [...accepted].every((n) => rows.some((r) => r.origin === `halopsa:halo:press-${n}`)) };
        };
        let state = await settled();
        for (let i = 0; i < 300 && !state.done; i += 1) {
          await sleep(100);
          state = await settled();
        }
        assert.ok(state.done, "every job ran and every accepted press has a verification that is no longer pending");
        const states = state.rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.state]: (m[r.state] ?? 0) + 1 }), {});
        t.diagnostic(`${USERS.length} presses, ${accepted.size} answered 202 before a kill, ${state.rows.length} verifications ${JSON.stringify(states)}, ${twilio.messages.length} texts`);

        for (const u of USERS) {
          const texts = twilio.messages.filter((m) => m.to === u.mobile);
          const row = state.rows.find((r) => r.origin === `halopsa:halo:press-${u.n}`);
          assert.ok(texts.length <= 1, `caller ${u.n} got ${texts.length} texts`);
          if (texts.length === 1) assert.ok(row !== undefined, `caller ${u.n} got a text without a verification`);
          if (accepted.has(u.n)) assert.ok(row !== undefined, `accepted press ${u.n} was lost`);
          const started = halo.notes(u.ticket).filter((note) => note.note_html.includes("identity check started"));
          assert.ok(started.length <= 1, `ticket ${u.ticket} has ${started.length} 'started' notes`);
          if (row?.state === "sent" || row?.state === "delivery_unknown") {
            // The note job may still be running its last post: wait for it, then count again.
            for (let i = 0; i < 100 && halo.notes(u.ticket).filter((note) => note.note_html.includes("identity check started")).length === 0; i += 1) await sleep(100);
            assert.equal(halo.notes(u.ticket).filter((note) => note.note_html.includes("identity check started")).length, 1, `ticket ${u.ticket}: one 'started' note`);
          }
        }
      } finally {
        await db?.close();
        child.kill("SIGTERM");
        await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      }
      const audit = await runCli(["audit", "verify", "--config", configPath], { cwd: dir });
      assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    });
  });
}

// The soak (issue 13): many verifications at once for a long time against `verity serve` (its own
// process), with a share of upstream calls failing the ways vendors fail: 429 with and without
// Retry-After, 5xx, connections reset, requests never answered. At the end nothing may be lost,
// sent twice or left open, and the audit chain must verify. `npm run soak` runs 200 at once for
// 10 minutes; test/soak/soak.test.ts runs a short version in CI.
import { randomInt } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import { stringify } from "yaml";
import { ENDING_ACTIONS } from "../src/domain/audit-actions.js";
import { TERMINAL_STATES, type VerificationState } from "../src/domain/verification.js";
import { openDatabase } from "../src/store/connect.js";
import type { FakeTwilioFailure } from "../test/fakes/twilio/fake-twilio.js";
import { benchCaller, startFlowFakes } from "../test/e2e/halopsa-flow.js";
import { freePort } from "../test/helpers/net.js";
import { BENCH_LIMITS as LIMITS, codeFor, createToken, runCli, startServer } from "./serve-child.js";

export interface SoakOptions {
  readonly seconds: number;
  readonly concurrency: number;
  /** The share of upstream requests that fail (0.05: one in twenty). */
  readonly faultRate: number;
  /** PostgreSQL instead of the embedded SQLite store. */
  readonly databaseUrl?: string;
  /** Upstream latency of every fake, ms. */
  readonly latencyMs?: number;
}

export interface SoakReport {
  readonly seconds: number;
  readonly concurrency: number;
  readonly started: number;
  readonly verified: number;
  /** How each verification ended, by state. */
  readonly endings: Readonly<Record<string, number>>;
  /** Faults injected, by upstream and kind. */
  readonly faults: Readonly<Record<string, number>>;
  /** Requests Verity answered with an error (expected under faults: 503 CHANNEL_UNAVAILABLE…), by status. */
  readonly refused: Readonly<Record<string, number>>;
  /** Verifications without their verification.started event or, once final, without an ending event. */
  readonly lostEvents: number;
  /** Texts beyond the sends Verity recorded, per caller: a message sent twice. */
  readonly duplicateMessages: number;
  /** Verifications still open after every worker finished and their deadline passed. */
  readonly stuck: number;
  readonly chainVerified: boolean;
  readonly chainOutput: string;
}

/** True with probability `p` (a fault's dice; not a secret, but the linter keeps Math.random out). */
const chance = (p: number): boolean => randomInt(1_000_000) < p * 1_000_000;
const TWILIO_FAULTS: readonly FakeTwilioFailure[] = ["429", "503", "500", "reset", "hang"];
/** A verification lives this long in the soak, so one left open expires before the end. */
const CODE_TTL_SECONDS = 60;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const fakes = await startFlowFakes({
    latencyMs: options.latencyMs ?? 5,
    extraCallers: options.concurrency,
    logLevel: "warn",
    verification: { limits: LIMITS, codeTtlSeconds: CODE_TTL_SECONDS },
    server: { requestsPerMinute: 100_000, webhookRequestsPerMinute: 100_000 },
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
  });
  const dir = mkdtempSync(join(tmpdir(), "verity-soak-"));
  const port = await freePort();
  const configPath = join(dir, "verity.yaml");
  writeFileSync(configPath, stringify(fakes.config(`http://127.0.0.1:${port}`, join(dir, "data"))));
  const token = await createToken(configPath);
  const server = await startServer(configPath, port);
  const dispatcher = new Agent({ connections: options.concurrency + 8 });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const faults: Record<string, number> = {};
  const refused: Record<string, number> = {};
  const count = (table: Record<string, number>, key: string) => (table[key] = (table[key] ?? 0) + 1);

  // Faults: for each new request the fakes saw since the last look, one in 1/faultRate gets the
  // next request of that upstream to fail (the fakes fail the *next* matching request).
  let twilioSeen = 0;
  let graphSeen = 0;
  const injector = setInterval(() => {
    const twilioNow = fakes.twilio.requests.length;
    for (; twilioSeen < twilioNow; twilioSeen += 1) {
      if (!chance(options.faultRate)) continue;
      const kind = TWILIO_FAULTS[randomInt(TWILIO_FAULTS.length)] ?? "503";
      fakes.twilio.failNext(kind, 1);
      count(faults, `twilio ${kind}`);
    }
    const graphNow = fakes.entra.requests.length;
    for (; graphSeen < graphNow; graphSeen += 1) {
      if (!chance(options.faultRate)) continue;
      const pick = randomInt(4);
      const failure = pick === 0 ? { status: 429 as const, retryAfter: 1 } : pick === 1 ? { status: 429 as const } : pick === 2 ? { status: 503 as const } : { hang: true as const };
      fakes.entra.failNext(/\/v1\.0\//, failure, 1);
      count(faults, `graph ${"hang" in failure ? "hang" : `${failure.status}${"retryAfter" in failure ? " retry-after" : ""}`}`);
    }
  }, 20);

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`${server.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), dispatcher } as RequestInit);
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status >= 400) count(refused, `${response.status} ${typeof json.code === "string" ? json.code : ""}`.trim());
    return { status: response.status, json };
  };

  let started = 0;
  let verified = 0;
  const stopAt = Date.now() + options.seconds * 1000;
  // Each worker is a technician verifying their own caller back to back, and always leaves the
  // verification final: verified, or cancelled when the code never arrived.
  const worker = async (n: number) => {
    const caller = benchCaller(n);
    while (Date.now() < stopAt) {
      const from = fakes.twilio.messages.length;
      const start = await call("POST", "/api/v1/verifications", { user: caller.upn, method: "sms" }).catch(() => null);
      if (start === null || start.status !== 201) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      started += 1;
      const id = String(start.json.id);
      if (TERMINAL_STATES.has(start.json.state as VerificationState)) continue;
      let code: string | undefined;
      for (let i = 0; i < 20 && code === undefined; i += 1) {
        code = codeFor(fakes.twilio, caller.mobile, from);
        if (code === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      if (code !== undefined) {
        const checked = await call("POST", `/api/v1/verifications/${id}/check`, { code }).catch(() => null);
        if (checked?.json.outcome === "verified") {
          verified += 1;
          continue;
        }
      }
      await call("POST", `/api/v1/verifications/${id}/cancel`, { reason: "soak: no code arrived" }).catch(() => null);
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, n) => worker(n)));
    clearInterval(injector);
    fakes.entra.clearFailures();
    // What Twilio took (a 500, a reset or a hang after acceptance included: the text is on its way).
    const texts = new Map<string, number>();
    for (const m of fakes.twilio.messages) texts.set(m.to, (texts.get(m.to) ?? 0) + 1);
    return await inspect(options, { dir, started, verified, faults, refused, twilioMessagesTo: texts, configPath });
  } finally {
    clearInterval(injector);
    await server.stop();
    await dispatcher.close();
    await fakes.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inspect(
  options: SoakOptions,
  run: { dir: string; started: number; verified: number; faults: Record<string, number>; refused: Record<string, number>; twilioMessagesTo: Map<string, number>; configPath: string },
): Promise<SoakReport> {
  const handle = openDatabase(options.databaseUrl ?? `sqlite:${join(run.dir, "data", "verity.db")}`);
  try {
    const db = handle.db;
    // Anything still open gets its deadline and the sweep (every 5 s) to end it.
    const deadline = Date.now() + (CODE_TTL_SECONDS + 15) * 1000;
    let open = await db.selectFrom("verifications").select(["id", "state", "expires_at"]).where("state", "not in", [...TERMINAL_STATES]).execute();
    while (open.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      open = await db.selectFrom("verifications").select(["id", "state", "expires_at"]).where("state", "not in", [...TERMINAL_STATES]).execute();
    }
    const rows = await db.selectFrom("verifications").select(["id", "state", "sends", "destination_hash", "subject_id"]).execute();
    const events = await db.selectFrom("audit_events").select(["verification_id", "action"]).where("verification_id", "is not", null).execute();
    const startedIds = new Set(events.filter((e) => e.action === "verification.started").map((e) => e.verification_id));
    const ending: ReadonlySet<string> = new Set(ENDING_ACTIONS);
    const endedIds = new Set(events.filter((e) => ending.has(e.action)).map((e) => e.verification_id));
    let lostEvents = 0;
    const endings: Record<string, number> = {};
    for (const v of rows) {
      endings[v.state] = (endings[v.state] ?? 0) + 1;
      if (!startedIds.has(v.id)) lostEvents += 1;
      if (TERMINAL_STATES.has(v.state as VerificationState) && !endedIds.has(v.id)) lostEvents += 1;
    }
    // Sends Verity recorded per caller, against texts Twilio took for that caller's number.
    const sendsBySubject = new Map<string, number>();
    for (const v of rows) sendsBySubject.set(v.subject_id, (sendsBySubject.get(v.subject_id) ?? 0) + v.sends);
    let duplicateMessages = 0;
    for (let n = 0; n < options.concurrency; n += 1) {
      const caller = benchCaller(n);
      const texts = run.twilioMessagesTo.get(caller.mobile) ?? 0;
      const sends = [...sendsBySubject.entries()].filter(([subject]) => subject.endsWith(caller.id)).reduce((a, [, s]) => a + s, 0);
      if (texts > sends) duplicateMessages += texts - sends;
    }
    const chain = await runCli(["audit", "verify", "--config", run.configPath]).then(
      (out) => ({ ok: true, out }),
      (error: unknown) => ({ ok: false, out: String(error) }),
    );
    return {
      seconds: options.seconds,
      concurrency: options.concurrency,
      started: run.started,
      verified: run.verified,
      endings,
      faults: run.faults,
      refused: run.refused,
      lostEvents,
      duplicateMessages,
      stuck: open.length,
      chainVerified: chain.ok,
      chainOutput: chain.out.trim().slice(0, 2000),
    };
  } finally {
    await handle.close();
  }
}

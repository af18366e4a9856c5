import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { stringify } from "yaml";
import { parseConfig } from "../../../src/config/load.js";
import type { Verification } from "../../../src/domain/verification.js";
import { buildApp } from "../../../src/http/build-app.js";
import { createRuntime, type Runtime } from "../../../src/main.js";
import { listAuditEvents } from "../../../src/store/audit-dal.js";
import { toVerification } from "../../../src/store/verification-dal.js";
import { startFakeDuo, type FakeDuo } from "../../fakes/duo/fake-duo.js";
import { startFakeTwilio, twilioProviderConfig, type FakeTwilio } from "../../fakes/twilio/fake-twilio.js";
import { createFakeClock, type FakeClock } from "../../helpers/clock.js";
import { waitFor } from "../../helpers/engine.js";
import { captureLogs } from "../../helpers/logs.js";
import { freePort } from "../../helpers/net.js";

/**
 * The callers every ticketing system's end-to-end test meets. Two client organisations share one
 * ticketing system, as an MSP runs it: Contoso verifies by SMS (Twilio), Fabrikam by Duo push.
 * Numbers are fiction ranges.
 */
export const CALLERS = {
  /** Contoso, verified by an SMS code. */
  jane: { id: "c-1", upn: "jane.doe@contoso.example", name: "Jane Doe", mobile: "+14255550101", masked: "+1 (•••) •••-0101" },
  /** Contoso, a second caller (for refusals: a trigger naming Jane on Sam's ticket). */
  sam: { id: "c-2", upn: "sam.smith@contoso.example", name: "Sam Smith", mobile: "+14255550133", masked: "+1 (•••) •••-0133" },
  /** Fabrikam, verified by a Duo push she approves. */
  priya: { id: "f-1", upn: "priya.patel@fabrikam.example", name: "Priya Patel", duo: "priya" },
} as const;

export type CallerKey = keyof typeof CALLERS;

export interface TicketingWorld {
  readonly base: string;
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly twilio: FakeTwilio;
  readonly duo: FakeDuo;
  readonly clock: FakeClock;
  readonly logs: string[];
  /** The texts sent to a number, oldest first. */
  textsTo(number: string): { body: string; sid: string }[];
  /** The code in the newest text to `number` that arrived after `skip` earlier ones. */
  codeSentTo(number: string, skip?: number): Promise<string>;
  /** The verification a trigger's delivery started (origin `<kind>:<system>:<deliveryId>`), once it reaches `state` (any when omitted). */
  byDelivery(kind: string, system: string, deliveryId: string, state?: string): Promise<Verification>;
  /** Checks a code as the technician does: through the link in the "started" note. */
  checkThroughNote(noteText: string, code: string): Promise<{ outcome: string }>;
  /** The hash of the verification's audit event `action` (the result note must carry it). */
  auditHash(verificationId: string, action: string): Promise<string>;
  /**
   * Lets the note jobs run until `done` holds: moves the clock past each retry's backoff and wakes
   * the queue, up to 40 rounds (for outage tests).
   */
  drain(done: () => boolean | Promise<boolean>): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real Verity server (its HTTP app on a free port and its background jobs) for one ticketing
 * system: `ticketing` is the system's block under `ticketing.<systemName>`, pointing at the test's
 * own fake. Contoso and Fabrikam both name it, so a trigger for either reaches Verity the same way.
 */
export async function startTicketingWorld(options: {
  readonly systemName: string;
  readonly ticketing: Record<string, unknown>;
  /** Other systems (for tests of one tenant reached from several). */
  readonly moreTicketing?: Record<string, Record<string, unknown>>;
  /** What each tenant's `ticketing.system` names; default `[systemName]`. */
  readonly systems?: readonly string[];
  readonly codeHandling?: "readback" | "reveal";
  readonly server?: Record<string, unknown>;
}): Promise<TicketingWorld> {
  const clock = createFakeClock(new Date());
  const dir = mkdtempSync(join(tmpdir(), "verity-ticketing-"));
  writeFileSync(
    join(dir, "contoso.yaml"),
    stringify({
      organisation: "Contoso",
      users: [
        { id: CALLERS.jane.id, upn: CALLERS.jane.upn, displayName: CALLERS.jane.name, phones: { mobile: CALLERS.jane.mobile } },
        { id: CALLERS.sam.id, upn: CALLERS.sam.upn, displayName: CALLERS.sam.name, phones: { mobile: CALLERS.sam.mobile } },
      ],
    }),
  );
  writeFileSync(
    join(dir, "fabrikam.yaml"),
    stringify({ organisation: "Fabrikam", users: [{ id: CALLERS.priya.id, upn: CALLERS.priya.upn, displayName: CALLERS.priya.name, providerIds: { duo: CALLERS.priya.duo } }] }),
  );
  const twilio = await startFakeTwilio();
  const duo = await startFakeDuo({
    users: [{ username: CALLERS.priya.duo, caller: { action: "approve", afterMs: 30 } }],
    holdMs: 2_000,
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const systems = options.systems ?? [options.systemName];
  const ticketing = { codeHandling: options.codeHandling ?? "readback", system: systems };
  const raw = {
    dataDir: join(dir, "data"),
    server: { publicUrl: base, ...options.server },
    log: { level: "info" },
    providers: {
      twilio: twilioProviderConfig(twilio),
      duo: { kind: "duo", apiHost: duo.apiHost, baseUrl: duo.baseUrl, integrationKey: duo.integrationKey, secretKey: duo.secretKey },
    },
    ticketing: { [options.systemName]: options.ticketing, ...options.moreTicketing },
    tenants: [
      {
        id: "contoso",
        name: "Contoso",
        domains: ["contoso.example"],
        directory: { kind: "file", path: join(dir, "contoso.yaml") },
        methods: { sms: "twilio" },
        ticketing: { ...ticketing, method: "sms" },
      },
      {
        id: "fabrikam",
        name: "Fabrikam",
        domains: ["fabrikam.example"],
        directory: { kind: "file", path: join(dir, "fabrikam.yaml") },
        methods: { "duo-push": "duo" },
        ticketing: { ...ticketing, method: "duo-push" },
      },
    ],
  };
  const { stream, lines } = captureLogs();
  const runtime = await createRuntime(parseConfig(raw, { env: {}, baseDir: dir, source: "e2e", demo: false }), { clock, logDestination: stream, pushPollMs: 20 });
  const app = await buildApp(runtime);
  await app.listen({ host: "127.0.0.1", port });
  await runtime.startBackground();

  const textsTo = (number: string) => twilio.messages.filter((m) => m.to === number).map((m) => ({ body: m.body, sid: m.sid }));
  return {
    base,
    app,
    runtime,
    twilio,
    duo,
    clock,
    logs: lines,
    textsTo,
    async codeSentTo(number, skip = 0) {
      const text = await waitFor(() => textsTo(number)[skip], 10_000);
      const code = /\b(\d{6})\b/.exec(text.body)?.[1];
      assert.ok(code !== undefined, "the text carries a six-digit code");
      return code;
    },
    async byDelivery(kind, system, deliveryId, state) {
      return waitFor(async () => {
        const row = await runtime.database.db.selectFrom("verifications").selectAll().where("origin", "=", `${kind}:${system}:${deliveryId}`).executeTakeFirst();
        if (row === undefined) return undefined;
        const v = toVerification(row);
        return state === undefined || v.state === state ? v : undefined;
      }, 10_000);
    },
    async checkThroughNote(noteText, code) {
      const link = /(https?:\/\/[^\s"<>]+\/v\/[0-9a-f-]{36}#t=[^\s"<>)\]]+)/.exec(noteText.replace(/&amp;/g, "&"))?.[1];
      assert.ok(link !== undefined, "the started note links to the verification");
      const [, id, capability] = /\/v\/([0-9a-f-]{36})#t=(.+)$/.exec(link) ?? [];
      const response = await fetch(`${base}/api/v1/link/verifications/${id ?? ""}/check`, {
        method: "POST",
        headers: { "x-verity-link": capability ?? "", "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as { outcome: string };
    },
    async auditHash(verificationId, action) {
      const events = await listAuditEvents(runtime.database.db, { verificationId, limit: 100 });
      const event = events.find((e) => e.action === action);
      assert.ok(event !== undefined, `audit event ${action}`);
      return event.hash;
    },
    async drain(done) {
      for (let i = 0; i < 40 && !(await done()); i += 1) {
        clock.advance(60_000);
        runtime.queue.wakeAll();
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await app.close();
      await runtime.close();
      await Promise.all([twilio.close(), duo.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

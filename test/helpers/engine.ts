import type { TenantRuntime } from "../../src/services/tenant-registry.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createFileDirectory } from "../../src/adapters/directory/file/file-directory.js";
import type { VerificationSettings } from "../../src/config/schema.js";
import { deriveKeyRing } from "../../src/domain/keys.js";
import { parseMethod } from "../../src/domain/methods.js";
import type { MessageChannel, PushProvider, TicketingSystem } from "../../src/domain/ports.js";
import { createJobQueue, type JobQueue } from "../../src/services/job-queue.js";
import { createVerificationLinks, type VerificationLinks } from "../../src/services/links.js";
import { createCodeRevealer } from "../../src/services/reveal.js";
import { confirmTicketLater } from "../../src/services/ticket-binding.js";
import { createTicketNotesObserver, NOTE_JOB, ticketNoteJob } from "../../src/services/ticket-notes.js";
import { createAuditWriter } from "../../src/services/audit-service.js";
import { createChangeBus } from "../../src/services/change-bus.js";
import { DEFAULT_MESSAGES } from "../../src/services/caller-wording.js";
import { createTenantRegistry, type MethodBinding } from "../../src/services/tenant-registry.js";
import { createVerificationEngine, type VerificationEngine } from "../../src/services/verification-engine.js";
import { migrate, openDatabase, type DatabaseHandle } from "../../src/store/connect.js";
import { createFakeClock, type FakeClock } from "./clock.js";
import { TEST_DIRECTORY_YAML } from "./fixtures.js";
import { captureLogs } from "./logs.js";

export const SETTINGS: VerificationSettings = {
  codeLength: 6,
  codeTtlSeconds: 600,
  maxChecks: 5,
  maxSends: 3,
  pushTimeoutSeconds: 60,
  limits: {
    pushes: { max: 3, windowSeconds: 900 },
    sends: { max: 6, windowSeconds: 3600 },
    failures: { max: 10, windowSeconds: 86_400 },
    technician: { max: 40, windowSeconds: 3600 },
    tenant: { max: 200, windowSeconds: 3600 },
    tenantDaily: { max: 1000, windowSeconds: 86_400 },
    smsCountry: { max: 500, windowSeconds: 3600 },
    smsPrefix: { max: 50, windowSeconds: 3600 },
  },
  allowCustomPushText: false,
  linkShowsReason: false,
};

/** Limits no suite reaches by accident (each limit has tests of its own). */
export const ROOMY: VerificationSettings["limits"] = {
  pushes: { max: 1000, windowSeconds: 900 },
  sends: { max: 1000, windowSeconds: 3600 },
  failures: { max: 1000, windowSeconds: 86_400 },
  technician: { max: 100_000, windowSeconds: 3600 },
  tenant: { max: 100_000, windowSeconds: 3600 },
  tenantDaily: { max: 100_000, windowSeconds: 86_400 },
  smsCountry: { max: 100_000, windowSeconds: 3600 },
  smsPrefix: { max: 100_000, windowSeconds: 3600 },
};

/**
 * The real engine and store, wired by hand around channels and providers written in the test:
 * for failure modes (ambiguous sends, failing polls) that the development adapters never show.
 */
export async function createEngineWith(options: {
  channel?: MessageChannel;
  provider?: PushProvider;
  databaseUrl?: string;
  settings?: Partial<VerificationSettings>;
  /** Wires a PSA as main.ts does: notes through the durable queue, optional reveal mode. */
  ticketing?: { system: TicketingSystem; codeHandling: "readback" | "reveal"; publicUrl?: string };
  assurance?: TenantRuntime["assurance"];
}): Promise<{
  engine: VerificationEngine;
  handle: DatabaseHandle;
  clock: FakeClock;
  logs: string[];
  queue: JobQueue;
  links: VerificationLinks;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), "verity-engine-"));
  writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
  const handle = openDatabase(options.databaseUrl ?? `sqlite:${join(dir, "v.db")}`);
  await migrate(handle.db);
  const directory = createFileDirectory({ path: join(dir, "directory.yaml") });
  await directory.load();
  const methods = new Map<string, MethodBinding>();
  if (options.channel !== undefined) {
    for (const id of options.channel.channels) {
      const spec = parseMethod(id);
      if (spec.kind === "code") methods.set(id, { spec, channel: options.channel });
    }
  }
  if (options.provider !== undefined) {
    for (const id of [`${options.provider.kind}-push`, `${options.provider.kind}-passcode`]) {
      const spec = parseMethod(id);
      if (spec.kind === "push" || spec.kind === "passcode") methods.set(id, { spec, provider: options.provider });
    }
  }
  const ticketing = options.ticketing;
  const tenants = createTenantRegistry([
    {
      id: "acme",
      name: "Acme Test",
      domains: ["acme.test"],
      directory,
      methods,
      policy: { default: "warn", rules: { privileged: "second_method" } },
      assurance: options.assurance ?? { required: "possession", privileged: "possession", orTwoMethods: true },
      settings: { ...SETTINGS, ...options.settings },
      messages: DEFAULT_MESSAGES,
      ...(ticketing === undefined
        ? {}
        : { ticketing: { systems: new Map([[ticketing.system.name, ticketing.system]]), primary: ticketing.system.name, codeHandling: ticketing.codeHandling, method: "sms" } }),
    },
  ]);
  const clock = createFakeClock();
  const { stream, lines } = captureLogs();
  const log = pino({ level: "debug" }, stream);
  const keys = deriveKeyRing(Buffer.from("engine-test-key-engine-test-key-0123"));
  const links = createVerificationLinks({ publicUrl: ticketing?.publicUrl, keys, clock });
  const kinds: Parameters<typeof createJobQueue>[0]["kinds"] = {};
  const queue = createJobQueue({ db: handle.db, clock, log, kinds });
  const observers = ticketing === undefined ? [] : [createTicketNotesObserver({ tenants, queue, linkEnabled: ticketing.publicUrl !== undefined })];
  const audit = createAuditWriter({ db: handle.db, clock, observers });
  if (ticketing !== undefined) {
    (kinds as Record<string, unknown>)[NOTE_JOB] = ticketNoteJob({
      systems: new Map([[ticketing.system.name, ticketing.system]]),
      audit,
      log,
      link: (id) => links.url({ id }),
      confirmTicket: (id) => confirmTicketLater({ db: handle.db, tenants, audit, clock }, id),
    });
  }
  const engine = createVerificationEngine(
    {
      db: handle.db,
      clock,
      keys,
      tenants,
      audit,
      bus: createChangeBus(),
      log,
      ...(ticketing?.codeHandling === "reveal" ? { revealCode: createCodeRevealer({ audit, links, clock, log }) } : {}),
    },
    { pushPollMs: 10 },
  );
  return {
    engine,
    handle,
    clock,
    logs: lines,
    queue,
    links,
    async close() {
      await engine.pushes.stop();
      await queue.stop();
      await handle.close();
    },
  };
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor<T>(predicate: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("waitFor timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the verification reaches a final state and returns it. */
export function waitForFinal(
  engine: Pick<VerificationEngine, "get">,
  actor: Parameters<VerificationEngine["get"]>[0],
  id: string,
  timeoutMs = 5000,
): ReturnType<VerificationEngine["get"]> {
  return waitFor(async () => {
    const view = await engine.get(actor, id);
    return view.final ? view : undefined;
  }, timeoutMs);
}

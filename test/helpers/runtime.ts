import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { parseConfig } from "../../src/config/load.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import type { Actor } from "../../src/services/actor.js";
import { createFakeClock, type FakeClock } from "./clock.js";
import { ROOMY } from "./engine.js";
import { GLOBEX_DIRECTORY_YAML, TEST_DIRECTORY_YAML } from "./fixtures.js";
import { captureLogs } from "./logs.js";

export interface TestRuntime {
  readonly dir: string;
  readonly runtime: Runtime;
  readonly clock: FakeClock;
  readonly logs: string[];
  readonly printed: string[];
  readonly admin: Actor;
  readonly technician: Actor;
  /** The code in the newest console message to `to` (read off the simulated phone). */
  codeSentTo(to: string): Promise<string>;
  close(): Promise<void>;
}

/** Per-caller limits high enough that suites reusing users do not trip them (tested on their own). */
export const ROOMY_LIMITS = { verification: { limits: ROOMY } };

export const TECHNICIAN: Actor = { id: "token:tech-a", name: "Terry Tech", role: "technician", tenants: null };
export const ADMIN: Actor = { id: "token:admin", name: "Integration", role: "admin", tenants: null };

/** The standard test tenant (Acme, acme.test), with `extra` merged in. */
export function acmeTenant(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "acme",
    name: "Acme Test",
    domains: ["acme.test"],
    directory: { kind: "file", path: join(dir, "directory.yaml") },
    methods: { sms: "console", email: "console", "simulated-push": "phone", "simulated-passcode": "phone" },
    verification: { pushTimeoutSeconds: 60 },
    ...extra,
  };
}

/** A second tenant (Globex, globex.test) whose directory createTestRuntime writes beside Acme's. */
export function globexTenant(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "globex",
    name: "Globex Test",
    domains: ["globex.test"],
    directory: { kind: "file", path: join(dir, "globex-directory.yaml") },
    methods: { sms: "console", "simulated-push": "phone" },
    ...extra,
  };
}

/** The standard test configuration, with `overrides` merged at the top level. */
export function testConfig(dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataDir: join(dir, "data"),
    log: { level: "info" },
    providers: { console: { kind: "console" }, phone: { kind: "simulated" } },
    tenants: [acmeTenant(dir)],
    ...overrides,
  };
}

/** A real runtime (real store, real adapters) in a temp folder, with a fake clock. */
export async function createTestRuntime(
  /** pushPollMs: 20 by default for quick tests; null for the engine's production default. */
  options: {
    databaseUrl?: string;
    /** Top-level configuration overrides; a function receives the temp folder (for tenant paths). */
    overrides?: Record<string, unknown> | ((dir: string) => Record<string, unknown>);
    clock?: FakeClock;
    pushPollMs?: number | null;
    /** Loaded as the demo is (the demo phone page is mounted only then). */
    demo?: boolean;
  } = {},
): Promise<TestRuntime> {
  const dir = mkdtempSync(join(tmpdir(), "verity-test-"));
  writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
  writeFileSync(join(dir, "globex-directory.yaml"), GLOBEX_DIRECTORY_YAML);
  const clock = options.clock ?? createFakeClock();
  const raw = testConfig(dir, {
    ...(options.databaseUrl === undefined
      ? {}
      : { database: { url: options.databaseUrl }, security: { hashKey: "k".repeat(16) + "test-hash-key-0123456789" } }),
    ...(typeof options.overrides === "function" ? options.overrides(dir) : options.overrides),
  });
  const loaded = parseConfig(raw, { env: {}, baseDir: dir, source: "test", demo: options.demo === true });
  const { stream, lines } = captureLogs();
  const printed: string[] = [];
  const runtime = await createRuntime(loaded, {
    clock,
    logDestination: stream,
    print: (line) => printed.push(line),
    ...(options.pushPollMs === null ? {} : { pushPollMs: options.pushPollMs ?? 20 }),
  });
  const outboxPath = join(loaded.config.dataDir, "dev-outbox.jsonl");
  return {
    dir,
    runtime,
    clock,
    logs: lines,
    printed,
    admin: ADMIN,
    technician: TECHNICIAN,
    async codeSentTo(to) {
      const message = (await readOutbox(outboxPath, 500)).find((m) => m.to === to);
      const code = message?.text.match(/\b(\d{6,10})\b/)?.[1];
      if (code === undefined) throw new Error(`no code was sent to ${to}`);
      return code;
    },
    async close() {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

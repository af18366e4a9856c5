import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { parseConfig } from "../../src/config/load.js";
import { buildApp } from "../../src/http/build-app.js";
import type { Verification } from "../../src/domain/verification.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { toVerification } from "../../src/store/verification-dal.js";
import { startFakeEntra, type FakeEntra } from "../fakes/entra/fake-entra.js";
import { startFakeHalo, type FakeHalo } from "../fakes/halopsa/fake-halo.js";
import { startFakeTwilio, twilioProviderConfig, type FakeTwilio } from "../fakes/twilio/fake-twilio.js";
import { createFakeClock, type FakeClock } from "../helpers/clock.js";
import { captureLogs } from "../helpers/logs.js";
import { freePort } from "../helpers/net.js";

export const CONTOSO = "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a";
export const APP = "4d6c2a1b-9e8f-4a7b-b6c5-d4e3f2a1b0c9";
const APP_SECRET = "Q7x8Q~e2e-app-secret-value";
/** The addresses the flow's HaloPSA webhook accepts besides loopback. */
export const HALO_EGRESS = "198.51.100.0/24";
export const WEBHOOK = { username: "halo-webhook", password: "a-long-webhook-password-0123456789" };

/** Contoso's people, each a case the runbook meets. Numbers are fiction ranges. */
export const PEOPLE = {
  jane: { id: "11111111-1111-4111-8111-111111111111", upn: "jane.doe@contoso.example", mobile: "+14255550101", haloId: 501 },
  nophone: { id: "22222222-2222-4222-8222-222222222222", upn: "no.phone@contoso.example", haloId: 502 },
  sam: { id: "33333333-3333-4333-8333-333333333333", upn: "sam@contoso.example", mobile: "+14255550133", haloId: 503 },
  stranger: { upn: "someone@unknown.example", haloId: 504 },
};

export const TICKETS = { jane: 4242, nophone: 4243, sam: 4244, stranger: 4245 };

/** The newest verification on a ticket, whoever it is for (tests only: the product asks by caller). */
export async function latestOnTicket(runtime: Runtime, ticket: number): Promise<Verification | undefined> {
  const row = await runtime.database.db
    .selectFrom("verifications")
    .selectAll()
    .where("ticket", "=", String(ticket))
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : toVerification(row);
}

export interface Flow {
  readonly entra: FakeEntra;
  readonly twilio: FakeTwilio;
  readonly halo: FakeHalo;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  readonly base: string;
  readonly clock: FakeClock;
  readonly logs: string[];
  close(): Promise<void>;
}

export interface FlowOptions {
  codeHandling?: "readback" | "reveal";
  latencyMs?: number;
  verification?: Record<string, unknown>;
  logLevel?: string;
  /** Merged into the `server` block (e.g. requestsPerMinute for a benchmark). */
  server?: Record<string, unknown>;
  /** The webhook's allowedSources; default loopback and HALO_EGRESS. */
  webhookSources?: string[];
  /** One catch-all (`*`) tenant for every client, as an MSP runs it, instead of Contoso's own. */
  catchAll?: boolean;
  /** More Contoso callers, each with a mobile and a ticket of their own (benchmarks). See benchCaller. */
  extraCallers?: number;
  /** A PostgreSQL URL instead of the embedded SQLite store. */
  databaseUrl?: string;
}

/** Extra caller n (0-based): a Contoso user with a mobile, a Halo user and a ticket. */
export function benchCaller(n: number): { id: string; upn: string; mobile: string; haloId: number; ticket: number } {
  const hex = (n + 1).toString(16).padStart(12, "0");
  return { id: `99999999-9999-4999-8999-${hex}`, upn: `caller${n}@contoso.example`, mobile: `+1425556${String(n).padStart(4, "0")}`, haloId: 10_000 + n, ticket: 50_000 + n };
}

/** The fakes of startFlow (Entra, Twilio, HaloPSA) and the configuration that points a Verity at them. */
export interface FlowFakes {
  readonly entra: FakeEntra;
  readonly twilio: FakeTwilio;
  readonly halo: FakeHalo;
  /** Verity's raw configuration (before parsing) for a server at `base`, with its data in `dataDir`. */
  config(base: string, dataDir: string): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts the fakes of startFlow without a Verity: a benchmark runs `verity serve` against them. */
export async function startFlowFakes(options: FlowOptions = {}): Promise<FlowFakes> {
  const latencyMs = options.latencyMs ?? 0;
  const extras = Array.from({ length: options.extraCallers ?? 0 }, (_, n) => benchCaller(n));
  const entra = await startFakeEntra({
    latencyMs,
    tenants: [
      {
        id: CONTOSO,
        displayName: "Contoso",
        domains: ["contoso.example"],
        users: [
          {
            id: PEOPLE.jane.id,
            userPrincipalName: PEOPLE.jane.upn,
            displayName: "Jane Doe",
            mail: PEOPLE.jane.upn,
            phones: [
              { type: "mobile", number: "+1 4255550101" },
              { type: "alternateMobile", number: "+1 4255550102" },
              { type: "office", number: "+1 4255550103x12" },
            ],
          },
          { id: PEOPLE.nophone.id, userPrincipalName: PEOPLE.nophone.upn, displayName: "No Phone", phones: [{ type: "office", number: "+1 4255550104" }] },
          { id: PEOPLE.sam.id, userPrincipalName: PEOPLE.sam.upn, displayName: "Sam Smith", phones: [{ type: "mobile", number: "+1 4255550133" }] },
          ...extras.map((c) => ({ id: c.id, userPrincipalName: c.upn, displayName: `Caller ${c.haloId}`, mail: c.upn, phones: [{ type: "mobile", number: c.mobile }] })),
        ],
      },
    ],
    apps: [
      {
        clientId: APP,
        secrets: [{ id: "6b1e9c52-0000-4000-8000-000000000001", value: APP_SECRET }],
        consents: { [CONTOSO]: ["User.Read.All", "UserAuthenticationMethod.Read.All", "AuditLog.Read.All", "RoleManagement.Read.Directory", "Organization.Read.All"] },
      },
    ],
  });
  const twilio = await startFakeTwilio({ latencyMs });
  const halo = await startFakeHalo({
    latencyMs,
    tickets: [
      ...Object.entries(TICKETS).map(([who, id]) => ({ id, summary: `Password reset for ${who}`, user_id: PEOPLE[who as keyof typeof PEOPLE].haloId, client_id: 1 })),
      ...extras.map((c) => ({ id: c.ticket, summary: `Password reset for caller ${c.haloId}`, user_id: c.haloId, client_id: 1 })),
    ],
    users: [...Object.values(PEOPLE), ...extras].map((p) => ({ id: p.haloId, name: p.upn, emailaddress: p.upn, client_id: 1 })),
    agents: [{ id: 7, name: "Alice Agent" }],
  });
  const config = (base: string, dataDir: string): Record<string, unknown> => ({
    dataDir,
    ...(options.databaseUrl === undefined ? {} : { database: { url: options.databaseUrl }, security: { hashKey: "flow-hash-key-flow-hash-key-0123456789" } }),
    server: { publicUrl: base, ...options.server },
    log: { level: options.logLevel ?? "info" },
    ...(options.verification === undefined ? {} : { verification: options.verification }),
    providers: {
      twilio: twilioProviderConfig(twilio),
    },
    ticketing: {
      halo: {
        kind: "halopsa",
        authUrl: halo.authUrl,
        apiUrl: halo.apiUrl,
        clientId: "verity-client",
        clientSecret: "verity-secret-0123456789",
        // Loopback for the tests' own presses, and a documentation range for Halo's "egress".
        webhook: { kind: "basic", ...WEBHOOK, allowedSources: options.webhookSources ?? ["127.0.0.1", "::1", HALO_EGRESS] },
      },
    },
    tenants: [
      {
        ...(options.catchAll === true
          ? { id: "clients", name: "our clients' service desk", domains: ["*"] }
          : { id: "contoso", name: "Contoso", domains: ["contoso.example"] }),
        directory: { kind: "entra", clientId: APP, credential: { kind: "secret", secret: APP_SECRET }, loginUrl: entra.loginUrl, graphUrl: entra.graphUrl },
        methods: { sms: "twilio" },
        ticketing: { system: "halo", codeHandling: options.codeHandling ?? "readback" },
      },
    ],
  });
  return {
    entra,
    twilio,
    halo,
    config,
    close: async () => {
      await Promise.all([entra.close(), twilio.close(), halo.close()]);
    },
  };
}

/** The whole deployment of the issue: Entra, Twilio and HaloPSA fakes around a real Verity server. */
export async function startFlow(options: FlowOptions = {}): Promise<Flow> {
  const clock = createFakeClock(new Date());
  const fakes = await startFlowFakes(options);
  const { entra, twilio, halo } = fakes;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "verity-flow-"));
  const raw = fakes.config(base, join(dir, "data"));
  const { stream, lines } = captureLogs();
  const runtime = await createRuntime(parseConfig(raw, { env: {}, baseDir: dir, source: "e2e", demo: false }), { clock, logDestination: stream });
  const app = await buildApp(runtime);
  await app.listen({ host: "127.0.0.1", port });
  await runtime.startBackground();
  return {
    entra,
    twilio,
    halo,
    runtime,
    app,
    base,
    clock,
    logs: lines,
    async close() {
      await app.close();
      await runtime.close();
      await fakes.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

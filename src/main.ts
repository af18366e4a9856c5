import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger, type DestinationStream } from "pino";
import type { AnchorSinkConfig } from "./adapters/anchor/anchor-config.js";
import type { EntraDirectory } from "./adapters/directory/entra/entra-directory.js";
import { sqliteFileOf, withDataFolder } from "./config/data-folder.js";
import type { LoadedConfig } from "./config/load.js";
import { effectiveSettings, type Config, type TenantConfig } from "./config/schema.js";
import { VerityError } from "./domain/errors.js";
import { deriveKeyRing } from "./domain/keys.js";
import { isCallerPageSpec, parseMethod } from "./domain/methods.js";
import { systemClock, type AnchorSink, type Clock, type RequestCounter } from "./domain/ports.js";
import type { TwilioCallbackAccount } from "./http/routes/hooks-twilio.js";
import type { IdentityProofingService } from "./domain/face-check.js";
import { buildDirectory, buildNotifications, buildProviders, buildTicketing, type Adapter, type Closeable, type DevTools, type TicketingSystems } from "./main-adapters.js";
import { ANCHOR_SINK_MODULES, SSO_MODULE } from "./main-modules.js";
import { signinServices } from "./main-signin.js";
import type { SigninService } from "./adapters/signin/signin-client.js";
import { CHAT_NOTIFY_JOB, createNotificationsObserver, notifyJob, WEBHOOK_NOTIFY_JOB, type NotificationDestinations } from "./services/notifications.js";
import { createAuditAnchors, type AuditAnchors } from "./services/audit-anchors.js";
import { createAuditWriter, type AuditWriter } from "./services/audit-service.js";
import { createMetrics, type Metrics } from "./services/metrics.js";
import { createChangeAnnouncer, jobAnnouncer, listenToOtherInstances, newInstanceId } from "./services/instance-signals.js";
import { VERSION } from "./version.js";
import { createAuditVerifier, type AuditVerifier } from "./services/audit-verify.js";
import { createChangeBus } from "./services/change-bus.js";
import { createJobQueue, type JobKind, type JobQueue } from "./services/job-queue.js";
import { createVerificationLinks, type VerificationLinks } from "./services/links.js";
import { createCodeRevealer } from "./services/reveal.js";
import { createMemoryRequestCounter, createSharedRequestCounter } from "./services/request-counters.js";
import { DEFAULT_MESSAGES } from "./services/caller-wording.js";
import { createTenantRegistry, type CallerPageServices, type MethodBinding, type TenantRegistry, type TenantRuntime } from "./services/tenant-registry.js";
import { createTicketNotesObserver, NOTE_JOB, ticketNoteJob } from "./services/ticket-notes.js";
import { TICKET_TRIGGER_JOB, ticketTriggerJob, type TriggerPayload } from "./services/ticket-triggers.js";
import { confirmTicketLater } from "./services/ticket-binding.js";
import type { SsoClient } from "./adapters/sso/sso-client.js";
import { createSsoSignin, type SsoSignin } from "./services/sso-signin.js";
import { createWebSessionService, type WebSessionService } from "./services/web-sessions.js";
import { createWebUserService, type WebUserService } from "./services/web-users.js";
import { createTokenService, type TokenService } from "./services/token-service.js";
import { createVerificationEngine, type VerificationEngine } from "./services/verification-engine.js";
import { migrate, openDatabase, type DatabaseHandle } from "./store/connect.js";
import { withBuiltInRules } from "./domain/policy.js";

export type { DevTools } from "./main-adapters.js";

export interface RuntimeOptions {
  readonly clock?: Clock;
  /** Where logs go (stdout when absent); tests pass a stream to read them back. */
  readonly logDestination?: DestinationStream;
  /** Where development channels print (stderr when absent). */
  readonly print?: (line: string) => void;
  /** How often waiting pushes are polled, for providers that do not say. */
  readonly pushPollMs?: number;
}

export interface Runtime {
  readonly loaded: LoadedConfig;
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly log: Logger;
  readonly clock: Clock;
  readonly tenants: TenantRegistry;
  readonly audit: AuditWriter;
  /** Exports the audit chain's head to the configured sinks (started by startBackground). */
  readonly anchors: AuditAnchors;
  /** Checks the audit chain against the newest anchor in the configured anchor files. */
  readonly auditVerifier: AuditVerifier;
  readonly engine: VerificationEngine;
  readonly tokens: TokenService;
  /** People who sign in to the web app, and their browser sessions. */
  readonly webUsers: WebUserService;
  readonly webSessions: WebSessionService;
  /** Single sign-on through the configured OpenID Connect providers (web.sso). */
  readonly ssoSignin: SsoSignin;
  readonly queue: JobQueue;
  readonly links: VerificationLinks;
  readonly dev: DevTools;
  /** Identity proofing services (Verified ID with Face Check) by provider name. */
  readonly proofing: ReadonlyMap<string, IdentityProofingService>;
  /** The configured ticketing systems by name, and the triggers of those that have one. */
  readonly ticketing: TicketingSystems;
  /** Twilio accounts whose status callbacks are accepted (only with server.publicUrl). */
  readonly twilioCallbacks: readonly TwilioCallbackAccount[];
  /** Where verification results and fraud reports are sent (tenants[].notifications and notifications). */
  readonly notifications: NotificationDestinations;
  /** Prometheus metrics, when server.metrics is configured. */
  readonly metrics: Metrics | undefined;
  /** Counts HTTP requests for server.requestsPerMinute: in memory, or in PostgreSQL shared by every instance. */
  readonly requestCounter: RequestCounter;
  /** Starts the expiry sweeper, the job workers, audit anchoring, and resumes polling of waiting pushes. */
  startBackground(): Promise<void>;
  close(): Promise<void>;
}

/** The composition root (with main-adapters.ts): the only place that knows every concrete adapter. */
export async function createRuntime(loaded: LoadedConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const { config } = loaded;
  const clock = options.clock ?? systemClock;
  const log = pino(
    {
      level: config.log.level,
      base: { service: "verity" },
      redact: { paths: ["req.headers.authorization", "*.token", "*.code", "*.passcode", "*.secret"], censor: "[redacted]" },
      serializers: { req: serializeRequest },
    },
    options.logDestination ?? pino.destination(1),
  );
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { dataDir } = config;
  withDataFolder({ setting: "dataDir", path: dataDir, denied: "is not writable by this user" }, () => mkdirSync(dataDir, { recursive: true, mode: 0o700 }));
  const hashKey = withDataFolder({ setting: "dataDir", path: join(dataDir, "hash.key"), denied: "cannot be created or read by this user" }, () => loadHashKey(config));
  const keys = deriveKeyRing(hashKey);
  const databaseUrl = config.database.url ?? `sqlite:${join(dataDir, "verity.db")}`;
  const sqliteFile = sqliteFileOf(databaseUrl);
  const database =
    sqliteFile === undefined
      ? openDatabase(databaseUrl)
      : withDataFolder({ setting: "database.url", path: sqliteFile, denied: "is not writable by this user" }, () => openDatabase(databaseUrl));
  const closers: Closeable[] = [];
  const entraDirectories: EntraDirectory[] = [];
  try {
    await migrate(database.db);
    const { adapters, signin, proofing, dev, twilioCallbacks } = await buildProviders(config, { clock, log, print, closers, entraDirectories, demo: loaded.demo });
    const ticketing = await buildTicketing(config, { clock, log, closers });
    const tenants = createTenantRegistry(
      await Promise.all(config.tenants.map((t) => buildTenant(config, t, adapters, proofing, ticketing, { clock, log, closers, entraDirectories, signin }))),
    );
    const links = createVerificationLinks({ publicUrl: config.server.publicUrl, keys, clock });
    const notifications = await buildNotifications(config, { clock, keys, log, closers, adapters, tenants });
    // Job kinds are registered after the engine exists; the queue reads them when it runs.
    const kinds: Record<string, JobKind> = {};
    // Several instances on one PostgreSQL tell each other of changes and queued jobs.
    const instanceId = newInstanceId();
    const shared = database.dialect === "postgres";
    const queue = createJobQueue({ db: database.db, clock, log, kinds, lockMs: config.jobs.lockSeconds * 1000, ...(shared ? { announce: jobAnnouncer(database.db, instanceId, log) } : {}) });
    const metrics = config.server.metrics === undefined ? undefined : await createMetrics({ db: database.db, version: VERSION });
    if (metrics !== undefined) closers.push({ close: () => Promise.resolve(metrics.close()) });
    const audit = createAuditWriter({
      db: database.db,
      clock,
      observers: [
        ...(metrics === undefined ? [] : [metrics.observer]),
        ...(shared ? [createChangeAnnouncer(database.db, instanceId, log)] : []),
        createTicketNotesObserver({ tenants, queue, linkEnabled: config.server.publicUrl !== undefined }),
        createNotificationsObserver({ destinations: notifications, tenants, queue, publicUrl: config.server.publicUrl }),
      ],
    });
    const bus = createChangeBus();
    const revealing = tenants.all().some((t) => t.ticketing?.codeHandling === "reveal");
    const engine = createVerificationEngine(
      {
        db: database.db,
        clock,
        keys,
        tenants,
        audit,
        bus,
        log,
        ...(revealing ? { revealCode: createCodeRevealer({ audit, links, clock, log }) } : {}),
        ...callerLinkBaseOf(config, loaded.demo),
        instanceId,
        ...(metrics === undefined ? {} : { observePollLag: (seconds: number) => metrics.observePollLag(seconds) }),
        // Limits outlive a restart; the demo says how to start afresh.
        ...(loaded.demo ? { limitHint: "(Demo: `npm start -- --reset` starts it afresh, limits included.)" } : {}),
      },
      { technicianHistory: config.web.technicianHistory, ...(options.pushPollMs === undefined ? {} : { pushPollMs: options.pushPollMs }) },
    );
    kinds[NOTE_JOB] = ticketNoteJob({
      systems: ticketing.systems,
      audit,
      log,
      link: (id) => links.url({ id }),
      confirmTicket: (id) => confirmTicketLater({ db: database.db, tenants, audit, clock }, id),
    });
    const triggerJob = ticketTriggerJob({ sources: new Map(ticketing.triggers.map((t) => [t.name, t])), tenants, engine, audit, queue });
    kinds[TICKET_TRIGGER_JOB] = triggerJob;
    // HaloPSA presses queued by a Verity before issue 11, met after an upgrade.
    kinds["halopsa.verify"] = { ...triggerJob, handle: (raw, context) => triggerJob.handle(fromHaloJob(raw), context), onGiveUp: (raw, error) => triggerJob.onGiveUp?.(fromHaloJob(raw), error) ?? Promise.resolve() };
    for (const kind of [WEBHOOK_NOTIFY_JOB, CHAT_NOTIFY_JOB] as const) kinds[kind] = notifyJob(kind, { destinations: notifications, db: database.db, audit, clock, log });
    const tokens = createTokenService({ db: database.db, clock, audit });
    const webUsers = createWebUserService({ db: database.db, clock, keys, audit, issuer: "Verity" });
    const webSessions = createWebSessionService({ db: database.db, clock, keys, audit });
    const ssoClients = await buildSsoClients(config, { clock, log });
    closers.push(...ssoClients);
    const ssoSignin = createSsoSignin({ db: database.db, clock, audit, users: webUsers, providers: ssoClients });
    const anchorSinks = config.audit.anchor.sinks ?? [];
    const anchors = createAuditAnchors({
      db: database.db,
      keys,
      clock,
      log,
      sinks: await Promise.all(anchorSinks.map((sink) => buildAnchorSink(sink, { clock, log }))),
      intervalMs: config.audit.anchor.intervalSeconds * 1000,
    });
    const auditVerifier = createAuditVerifier({
      db: database.db,
      keys,
      anchorFiles: anchorSinks.flatMap((sink) => (sink.kind === "file" ? [sink.path] : [])),
    });
    const requestCounter = shared ? createSharedRequestCounter({ db: database.db, key: keys.requestLimit }) : createMemoryRequestCounter();
    let countsSweptFor = 0;
    let sweeper: NodeJS.Timeout | undefined;
    let stopListening: (() => Promise<void>) | undefined;
    return {
      loaded,
      config,
      database,
      log,
      clock,
      tenants,
      audit,
      anchors,
      auditVerifier,
      engine,
      tokens,
      webUsers,
      webSessions,
      ssoSignin,
      queue,
      links,
      dev,
      proofing,
      ticketing,
      twilioCallbacks,
      metrics,
      notifications,
      requestCounter,
      async startBackground() {
        stopListening = await listenToOtherInstances({ database, bus, queue, instanceId, log });
        // Events an instance committed but could not link before it stopped (PostgreSQL).
        const linked = await audit.linkPending();
        if (linked > 0) log.warn({ linked }, "linked audit events left pending by an earlier run");
        const resumed = await engine.pushes.resume();
        if (resumed > 0) log.info({ resumed }, "resumed polling of waiting pushes");
        queue.start();
        anchors.start();
        sweeper = setInterval(() => {
          engine.expireDue().catch((error: unknown) => log.error({ err: error }, "expiry sweep failed"));
          // Pushes whose poller died (another instance, or a CLI that exited) are taken over here.
          engine.pushes.resume().catch((error: unknown) => log.error({ err: error }, "taking over waiting pushes failed"));
          audit.linkPending().then(
            (n) => (n > 0 ? log.warn({ linked: n }, "linked audit events left pending") : undefined),
            (error: unknown) => log.error({ err: error }, "linking pending audit events failed"),
          );
          // Once a minute: the windows before the current and the previous one are done with.
          const now = clock.now().getTime();
          const minute = now - (now % 60_000);
          if (minute !== countsSweptFor) {
            countsSweptFor = minute;
            requestCounter.forgetBefore(minute - 60_000).catch((error: unknown) => log.warn({ err: error }, "clearing old request counts failed"));
          }
        }, 5000);
        sweeper.unref();
      },
      async close() {
        if (sweeper !== undefined) clearInterval(sweeper);
        await stopListening?.();
        await engine.pushes.stop();
        await queue.stop();
        // After the last jobs, so the final anchor covers every event this process wrote.
        await anchors.stop();
        await Promise.all(closers.map((c) => c.close().catch(() => undefined)));
        await database.close();
        log.flush();
      },
    };
  } catch (error) {
    await Promise.all(closers.map((c) => c.close().catch(() => undefined)));
    await database.close();
    throw error;
  }
}

/** Where confirmation links point: the public URL, or in the demo its own loopback address. */
function callerLinkBaseOf(config: Config, demo: boolean): { callerLinkBase?: string } {
  const base = config.server.publicUrl ?? (demo ? `http://127.0.0.1:${config.server.port}` : undefined);
  return base === undefined ? {} : { callerLinkBase: base.replace(/\/+$/, "") };
}

/** The OpenID Connect clients of web.sso (none, and nothing loaded, without single sign-on). */
async function buildSsoClients(config: Config, deps: { clock: Clock; log: Logger }): Promise<SsoClient[]> {
  if (config.web.sso.length === 0) return [];
  const { createSsoClient } = await SSO_MODULE();
  return config.web.sso.map((provider) => createSsoClient(provider, deps));
}

async function buildAnchorSink(sink: AnchorSinkConfig, deps: { clock: Clock; log: Logger }): Promise<AnchorSink> {
  if (sink.kind === "file") return (await ANCHOR_SINK_MODULES.file()).createFileAnchorSink(sink);
  if (sink.kind === "syslog") return (await ANCHOR_SINK_MODULES.syslog()).createSyslogAnchorSink(sink);
  return (await ANCHOR_SINK_MODULES.webhook()).createWebhookAnchorSink(sink, deps);
}

/**
 * What a request log line says about the request: method, route-shaped URL, remote address.
 * The path of a directory lookup holds the user's email, so it is logged as the route.
 */
function serializeRequest(request: { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string } }) {
  // A confirmation link's path holds its token: only the verification id is logged.
  const url = (request.url ?? "")
    .replace(/^(\/api\/v1\/directory\/users\/)[^?]*/, "$1:idOrEmail")
    .replace(/^(\/c\/[^./?]*)[^?]*/, "$1.…").replace(/\?.*$/, "?…");
  return { method: request.method, url, remoteAddress: request.ip ?? request.socket?.remoteAddress };
}

/**
 * The keyed-hash secret: from config, or (embedded SQLite only) a random key kept beside the
 * database and created on first start. PostgreSQL deployments must configure one key shared by
 * every instance; the schema enforces that.
 */
function loadHashKey(config: Config): Buffer {
  if (config.security.hashKey !== undefined) return Buffer.from(config.security.hashKey.reveal(), "utf8");
  const path = join(config.dataDir, "hash.key");
  try {
    writeFileSync(path, randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return Buffer.from(readFileSync(path, "utf8").trim(), "utf8");
}

/** The identity service a caller-page method names with `service:` (Face Check: a verified-id provider). */
function callerPageServices(methodId: string, kind: string, service: string | undefined, proofing: ReadonlyMap<string, IdentityProofingService>): CallerPageServices {
  if (kind !== "faceid") return {};
  const verifiedId = service === undefined ? undefined : proofing.get(service);
  if (verifiedId === undefined) throw new VerityError("CONFIG_INVALID", { message: `${methodId} needs service: <a provider of kind verified-id>` });
  return { verifiedId };
}

async function buildTenant(
  config: Config,
  tenant: TenantConfig,
  adapters: ReadonlyMap<string, Adapter>,
  proofing: ReadonlyMap<string, IdentityProofingService>,
  ticketing: TicketingSystems,
  deps: { clock: Clock; log: Logger; closers: Closeable[]; entraDirectories: EntraDirectory[]; signin: ReadonlyMap<string, SigninService> },
): Promise<TenantRuntime> {
  const directory = await buildDirectory(tenant, deps);
  const methods = new Map<string, MethodBinding>();
  for (const [methodId, { provider: providerName, userId, service }] of Object.entries(tenant.methods)) {
    const spec = parseMethod(methodId);
    const adapter = adapters.get(providerName);
    if (adapter === undefined) throw new VerityError("CONFIG_INVALID", { message: `provider ${providerName} is not defined` });
    if (spec.kind === "code" && "send" in adapter) methods.set(methodId, { spec, channel: adapter });
    else if (isCallerPageSpec(spec) && "send" in adapter) {
      methods.set(methodId, { spec, channel: adapter, services: { ...signinServices(tenant, spec, service, deps.signin), ...callerPageServices(methodId, spec.kind, service, proofing) } });
    }
    else if ((spec.kind === "push" || spec.kind === "passcode") && "startPush" in adapter) {
      methods.set(methodId, { spec, provider: adapter, ...(userId === undefined ? {} : { userIdRule: userId }) });
    }
    else throw new VerityError("CONFIG_INVALID", { message: `provider ${providerName} cannot serve ${methodId}` });
  }
  const systems = new Map(
    (tenant.ticketing?.system ?? []).map((name) => {
      const system = ticketing.systems.get(name);
      if (system === undefined) throw new VerityError("CONFIG_INVALID", { message: `ticketing system ${name} is not defined` });
      return [name, system] as const;
    }),
  );
  return {
    id: tenant.id,
    name: tenant.name,
    domains: tenant.domains,
    directory,
    methods,
    policy: withBuiltInRules(tenant.policy),
    assurance: {
      required: tenant.policy.assurance.required,
      privileged: tenant.policy.assurance.privileged ?? tenant.policy.assurance.required,
      orTwoMethods: tenant.policy.assurance.orTwoMethods,
    },
    ...(tenant.smsCountries === undefined ? {} : { smsCountries: tenant.smsCountries }),
    settings: effectiveSettings(config, tenant),
    messages: { ...DEFAULT_MESSAGES, ...Object.fromEntries(Object.entries(tenant.messages).filter(([, v]) => v !== undefined)) },
    ...(tenant.ticketing === undefined || systems.size === 0
      ? {}
      : {
          ticketing: {
            systems,
            primary: [...systems.keys()][0] as string,
            codeHandling: tenant.ticketing.codeHandling,
            method: tenant.ticketing.method,
          },
        }),
  };
}

/** A `halopsa.verify` job's payload (before issue 11) in the shape every trigger's job now takes. */
function fromHaloJob(raw: unknown): TriggerPayload {
  const p = raw as { instance: string; deliveryId: string; ticketId: number; email: string | null; agentId: number | null };
  return { system: p.instance, deliveryId: p.deliveryId, ticket: String(p.ticketId), emailHint: p.email, agent: p.agentId === null ? null : String(p.agentId) };
}

import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger, type DestinationStream } from "pino";
import { createConsoleChannel } from "./adapters/channel/console/console-channel.js";
import { createFileDirectory } from "./adapters/directory/file/file-directory.js";
import { createSimulatedPushProvider, type SimulatedPushProvider } from "./adapters/push/simulated/simulated-push.js";
import type { LoadedConfig } from "./config/load.js";
import { effectiveSettings, type Config, type ProviderConfig, type TenantConfig } from "./config/schema.js";
import { VerityError } from "./domain/errors.js";
import { deriveKeyRing } from "./domain/keys.js";
import { maskEmail, maskPhone } from "./domain/masking.js";
import { parseMethod } from "./domain/methods.js";
import { normalisePhone } from "./domain/phone.js";
import { systemClock, type Clock, type Directory, type MessageChannel, type PushProvider } from "./domain/ports.js";
import { createAuditWriter, type AuditWriter } from "./services/audit-service.js";
import { createChangeBus } from "./services/change-bus.js";
import {
  createTenantRegistry,
  DEFAULT_MESSAGES,
  type MethodBinding,
  type TenantRegistry,
  type TenantRuntime,
} from "./services/tenant-registry.js";
import { createTokenService, type TokenService } from "./services/token-service.js";
import { createVerificationEngine, type VerificationEngine } from "./services/verification-engine.js";
import { migrate, openDatabase, type DatabaseHandle } from "./store/connect.js";

export interface RuntimeOptions {
  readonly clock?: Clock;
  /** Where logs go (stdout when absent); tests pass a stream to read them back. */
  readonly logDestination?: DestinationStream;
  /** Where development channels print (stderr when absent). */
  readonly print?: (line: string) => void;
  /** How often waiting pushes are polled, for providers that do not say. */
  readonly pushPollMs?: number;
}

/** The development tools the demo pages need, present only when such providers are configured. */
export interface DevTools {
  readonly outboxPath: string | null;
  readonly simulated: ReadonlyMap<string, SimulatedPushProvider>;
}

export interface Runtime {
  readonly loaded: LoadedConfig;
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly log: Logger;
  readonly clock: Clock;
  readonly tenants: TenantRegistry;
  readonly audit: AuditWriter;
  readonly engine: VerificationEngine;
  readonly tokens: TokenService;
  readonly dev: DevTools;
  /** Starts the expiry sweeper and resumes polling of waiting pushes. */
  startBackground(): Promise<void>;
  close(): Promise<void>;
}

/** The composition root: the only place that knows every concrete adapter. */
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
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const keys = deriveKeyRing(loadHashKey(config));
  const database = openDatabase(config.database.url ?? `sqlite:${join(config.dataDir, "verity.db")}`);
  try {
    await migrate(database.db);
    const { adapters, dev } = buildProviders(config, clock, print);
    const tenants = createTenantRegistry(await Promise.all(config.tenants.map((t) => buildTenant(config, t, adapters))));
    const audit = createAuditWriter({ db: database.db, clock });
    const bus = createChangeBus();
    const engine = createVerificationEngine(
      { db: database.db, clock, keys, tenants, audit, bus, log },
      options.pushPollMs === undefined ? {} : { pushPollMs: options.pushPollMs },
    );
    const tokens = createTokenService({ db: database.db, clock, audit });
    let sweeper: NodeJS.Timeout | undefined;
    return {
      loaded,
      config,
      database,
      log,
      clock,
      tenants,
      audit,
      engine,
      tokens,
      dev,
      async startBackground() {
        const resumed = await engine.pushes.resume();
        if (resumed > 0) log.info({ resumed }, "resumed polling of waiting pushes");
        sweeper = setInterval(() => {
          engine.expireDue().catch((error: unknown) => log.error({ err: error }, "expiry sweep failed"));
        }, 5000);
        sweeper.unref();
      },
      async close() {
        if (sweeper !== undefined) clearInterval(sweeper);
        await engine.pushes.stop();
        await database.close();
        log.flush();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * What a request log line says about the request: method, route-shaped URL, remote address.
 * The path of a directory lookup holds the user's email, so it is logged as the route.
 */
function serializeRequest(request: { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string } }) {
  const url = (request.url ?? "").replace(/^(\/api\/v1\/directory\/users\/)[^?]*/, "$1:idOrEmail").replace(/\?.*$/, "?…");
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

type Adapter = MessageChannel | PushProvider;

function buildProviders(
  config: Config,
  clock: Clock,
  print: (line: string) => void,
): { adapters: ReadonlyMap<string, Adapter>; dev: DevTools } {
  const adapters = new Map<string, Adapter>();
  const simulated = new Map<string, SimulatedPushProvider>();
  let outboxPath: string | null = null;
  for (const [name, provider] of Object.entries<ProviderConfig>(config.providers)) {
    switch (provider.kind) {
      case "console": {
        outboxPath = join(config.dataDir, "dev-outbox.jsonl");
        adapters.set(
          name,
          createConsoleChannel({
            name,
            channels: provider.channels,
            outboxPath,
            clock,
            print,
            mask: (m) => (m.channel === "sms" ? maskPhone(normalisePhone(m.to)) : maskEmail(m.to)),
          }),
        );
        break;
      }
      case "simulated": {
        const adapter = createSimulatedPushProvider({ name, dir: join(config.dataDir, "dev-simulated", name), clock });
        adapters.set(name, adapter);
        simulated.set(name, adapter);
        break;
      }
    }
  }
  return { adapters, dev: { outboxPath, simulated } };
}

async function buildTenant(config: Config, tenant: TenantConfig, adapters: ReadonlyMap<string, Adapter>): Promise<TenantRuntime> {
  const directory = await buildDirectory(tenant);
  const methods = new Map<string, MethodBinding>();
  for (const [methodId, providerName] of Object.entries(tenant.methods)) {
    const spec = parseMethod(methodId);
    const adapter = adapters.get(providerName);
    if (adapter === undefined) throw new VerityError("CONFIG_INVALID", { message: `provider ${providerName} is not defined` });
    if (spec.kind === "code" && "send" in adapter) methods.set(methodId, { spec, channel: adapter });
    else if (spec.kind !== "code" && "startPush" in adapter) methods.set(methodId, { spec, provider: adapter });
    else throw new VerityError("CONFIG_INVALID", { message: `provider ${providerName} cannot serve ${methodId}` });
  }
  return {
    id: tenant.id,
    name: tenant.name,
    domains: tenant.domains,
    directory,
    methods,
    policy: tenant.policy,
    settings: effectiveSettings(config, tenant),
    messages: { ...DEFAULT_MESSAGES, ...Object.fromEntries(Object.entries(tenant.messages).filter(([, v]) => v !== undefined)) },
  };
}

async function buildDirectory(tenant: TenantConfig): Promise<Directory> {
  const directory = createFileDirectory({ path: tenant.directory.path, defaultCountry: tenant.directory.defaultCountry });
  await directory.load();
  return directory;
}

import { join } from "node:path";
import type { Logger } from "pino";
import type { SigninService } from "./adapters/signin/signin-client.js";
import { statusCallbackAuthToken } from "./adapters/channel/twilio-sms/twilio-config.js";
import type { EntraDirectory } from "./adapters/directory/entra/entra-directory.js";
import type { SimulatedPushProvider } from "./adapters/push/simulated/simulated-push.js";
import type { SimulatedRequestService } from "./adapters/verified-id/simulated-request-service.js";
import type { IdentityProofingService } from "./domain/face-check.js";
import { ticketingAdapterFor } from "./adapters/ticketing/registry.js";
import type { Config, TenantConfig } from "./config/schema.js";
import { maskEmail, maskPhone } from "./domain/masking.js";
import { normalisePhone } from "./domain/phone.js";
import type { Clock, Directory, DirectoryUser, MessageChannel, PushProvider, TicketingSystem } from "./domain/ports.js";
import { TWILIO_STATUS_PATH, type TwilioCallbackAccount } from "./http/routes/hooks-twilio.js";
import type { TriggerRoute } from "./http/routes/hooks-ticketing.js";
import { destinationUrl, emailLabel, type NotificationDestinationConfig } from "./adapters/notify/notify-config.js";
import type { KeyRing } from "./domain/keys.js";
import { usableManager } from "./domain/manager.js";
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType, type Notifier } from "./domain/notifications.js";
import { createNotificationDestinations, destinationKey, type NotificationDestination, type NotificationDestinations } from "./services/notifications.js";
import type { TenantRegistry } from "./services/tenant-registry.js";
import { DIRECTORY_MODULES, NOTIFIER_MODULES, preload, PROVIDER_MODULES } from "./main-modules.js";

/**
 * The concrete adapters a configuration names. Part of the composition root (with main.ts): the
 * only code that knows every vendor.
 */

export type Adapter = MessageChannel | PushProvider;

/** The development tools the demo pages need, present only when such providers are configured. */
export interface DevTools {
  readonly outboxPath: string | null;
  readonly simulated: ReadonlyMap<string, SimulatedPushProvider>;
  /** The demo's simulated Verified ID Request Services (and wallets), by provider name. */
  readonly verifiedId: ReadonlyMap<string, SimulatedRequestService>;
}

export interface Closeable {
  close(): Promise<void>;
}

/** Registers an adapter for closing at shutdown and returns it. */
function keep<T extends Closeable>(closers: Closeable[], adapter: T): T {
  closers.push(adapter);
  return adapter;
}

/**
 * The user's Microsoft Authenticator registrations, from the Entra directory that found them;
 * undefined when none can say (a file directory's user), and then the connector decides.
 * Directories are built after providers, so the list is filled in later (by buildDirectory).
 */
async function authenticatorMethodsOf(directories: readonly EntraDirectory[], user: DirectoryUser) {
  for (const directory of directories) {
    try {
      return await directory.authenticatorMethods(user);
    } catch {
      // Another directory (another app registration) may know this user.
    }
  }
  return undefined;
}

export async function buildProviders(
  config: Config,
  deps: { clock: Clock; log: Logger; print: (line: string) => void; closers: Closeable[]; entraDirectories: readonly EntraDirectory[]; demo?: boolean },
): Promise<{
  adapters: ReadonlyMap<string, Adapter>;
  signin: ReadonlyMap<string, SigninService>;
  proofing: ReadonlyMap<string, IdentityProofingService>;
  dev: DevTools;
  twilioCallbacks: TwilioCallbackAccount[];
}> {
  await preload(PROVIDER_MODULES, Object.values(config.providers).map((p) => p.kind));
  const adapters = new Map<string, Adapter>();
  const signin = new Map<string, SigninService>();
  const proofing = new Map<string, IdentityProofingService>();
  const simulated = new Map<string, SimulatedPushProvider>();
  const simulatedVerifiedId = new Map<string, SimulatedRequestService>();
  const twilioCallbacks: TwilioCallbackAccount[] = [];
  const longestCodeLife = Math.max(config.verification.codeTtlSeconds, ...config.tenants.map((t) => t.verification.codeTtlSeconds ?? 0));
  const publicUrl = config.server.publicUrl?.replace(/\/+$/, "");
  let outboxPath: string | null = null;
  for (const [name, provider] of Object.entries(config.providers)) {
    switch (provider.kind) {
      case "console": {
        outboxPath = join(config.dataDir, "dev-outbox.jsonl");
        const { createConsoleChannel } = await PROVIDER_MODULES.console();
        adapters.set(
          name,
          createConsoleChannel({
            name,
            channels: provider.channels,
            outboxPath,
            clock: deps.clock,
            print: deps.print,
            mask: (m) => (m.channel === "sms" ? maskPhone(normalisePhone(m.to)) : maskEmail(m.to)),
          }),
        );
        break;
      }
      case "simulated": {
        const { createSimulatedPushProvider } = await PROVIDER_MODULES.simulated();
        const adapter = createSimulatedPushProvider({ name, dir: join(config.dataDir, "dev-simulated", name), clock: deps.clock });
        adapters.set(name, adapter);
        simulated.set(name, adapter);
        break;
      }
      case "twilio": {
        const callbacks = provider.statusCallbacks && publicUrl !== undefined;
        const { createTwilioSmsChannel } = await PROVIDER_MODULES.twilio();
        const channel = createTwilioSmsChannel(provider, {
          name,
          log: deps.log,
          statusCallbackUrl: callbacks ? `${publicUrl}${TWILIO_STATUS_PATH}` : null,
          validityPeriodSeconds: longestCodeLife,
          now: () => deps.clock.now().getTime(),
        });
        deps.closers.push(channel);
        adapters.set(name, channel);
        const token = statusCallbackAuthToken(provider);
        if (callbacks && token !== null) twilioCallbacks.push({ accountSid: provider.accountSid, authToken: token.reveal() });
        break;
      }
      case "smtp": {
        const { createSmtpEmailChannel } = await PROVIDER_MODULES.smtp();
        adapters.set(name, keep(deps.closers, createSmtpEmailChannel(provider, { name, log: deps.log })));
        break;
      }
      case "graph-mail": {
        const { createGraphMailChannel } = await PROVIDER_MODULES["graph-mail"]();
        adapters.set(name, keep(deps.closers, createGraphMailChannel(provider, { name, clock: deps.clock, log: deps.log })));
        break;
      }
      case "vip": {
        const { createVipPushProvider } = await PROVIDER_MODULES.vip();
        adapters.set(name, keep(deps.closers, createVipPushProvider(provider, { name, clock: deps.clock, log: deps.log })));
        break;
      }
      case "duo": {
        const { createDuoPushProvider } = await PROVIDER_MODULES.duo();
        adapters.set(name, keep(deps.closers, createDuoPushProvider(provider, { name, clock: deps.clock, log: deps.log })));
        break;
      }
      case "okta": {
        const { createOktaPushProvider } = await PROVIDER_MODULES.okta();
        adapters.set(name, keep(deps.closers, createOktaPushProvider(provider, { name, clock: deps.clock, log: deps.log })));
        break;
      }
      case "entra": {
        const { createEntraMfaPushProvider } = await PROVIDER_MODULES.entra();
        adapters.set(
          name,
          keep(
            deps.closers,
            createEntraMfaPushProvider(provider, {
              name,
              clock: deps.clock,
              log: deps.log,
              authenticatorMethods: (user) => authenticatorMethodsOf(deps.entraDirectories, user),
            }),
          ),
        );
        break;
      }
      case "entra-signin":
      case "okta-signin":
      case "simulated-signin": {
        // An identity service, not a channel: a tenant method names it as `service` (caller sign-in verification).
        const { createSigninService } = await PROVIDER_MODULES[provider.kind]();
        signin.set(name, keep(deps.closers, createSigninService({ ...provider, name }, { clock: deps.clock, log: deps.log })));
        break;
      }
      case "verified-id": {
        // In the built-in demo the Request Service and the wallet are simulated on the demo
        // server's own loopback address (demoConfig points the provider's URLs there).
        const demo = deps.demo === true;
        if (demo) {
          const { createSimulatedRequestService } = await import("./adapters/verified-id/simulated-request-service.js");
          const base = provider.requestServiceUrl;
          simulatedVerifiedId.set(
            name,
            keep(
              deps.closers,
              createSimulatedRequestService({ tenantId: provider.tenantId, clientId: provider.clientId, clientSecret: provider.clientSecret.reveal(), baseUrl: base, clock: deps.clock }),
            ),
          );
        }
        const { createVerifiedIdService } = await PROVIDER_MODULES["verified-id"]();
        proofing.set(name, keep(deps.closers, createVerifiedIdService(provider, { name, clock: deps.clock, log: deps.log, developmentOnly: demo })));
        break;
      }
    }
  }
  return { adapters, signin, proofing, dev: { outboxPath, simulated, verifiedId: simulatedVerifiedId }, twilioCallbacks };
}

export async function buildDirectory(
  tenant: TenantConfig,
  deps: { clock: Clock; log: Logger; closers: Closeable[]; entraDirectories: EntraDirectory[] },
): Promise<Directory> {
  const config = tenant.directory;
  if (config.kind === "entra") {
    const { createEntraDirectory } = await DIRECTORY_MODULES.entra();
    const catchAll = tenant.domains.includes("*");
    const directory = createEntraDirectory(config, {
      clock: deps.clock,
      log: deps.log,
      ...(catchAll || config.tenantId !== undefined || tenant.domains[0] === undefined ? {} : { tenantDomain: tenant.domains[0] }),
    });
    deps.closers.push(directory);
    deps.entraDirectories.push(directory);
    return directory;
  }
  if (config.kind === "okta") {
    const { createOktaDirectory } = await DIRECTORY_MODULES.okta();
    const directory = createOktaDirectory(config, { clock: deps.clock, log: deps.log });
    deps.closers.push(directory);
    return directory;
  }
  const { createFileDirectory } = await DIRECTORY_MODULES.file();
  const directory = createFileDirectory({ path: config.path, defaultCountry: config.defaultCountry });
  await directory.load();
  return directory;
}

export interface TicketingSystems {
  /** Every configured system, by name. */
  readonly systems: ReadonlyMap<string, TicketingSystem>;
  /** The systems that can ask Verity to verify a ticket's caller, with their triggers. */
  readonly triggers: readonly TriggerRoute[];
}

/** Each `ticketing.<name>` block, built by the adapter its kind names (adapters/ticketing/registry.ts). */
export async function buildTicketing(config: Config, deps: { clock: Clock; log: Logger; closers: Closeable[] }): Promise<TicketingSystems> {
  const systems = new Map<string, TicketingSystem>();
  const triggers: TriggerRoute[] = [];
  const entries = Object.entries(config.ticketing);
  for (const [name, block] of entries) {
    const adapter = ticketingAdapterFor(block.kind);
    if (adapter === undefined) throw new Error(`no adapter for ticketing kind ${block.kind}`);
    const built = await adapter.create(name, block, {
      clock: deps.clock,
      log: deps.log.child({ ticketing: name }),
      sameKind: entries.filter(([, other]) => other.kind === block.kind).length,
    });
    deps.closers.push(built);
    systems.set(name, built.system);
    if (built.trigger !== null) triggers.push({ name, kind: block.kind, system: built.system, trigger: built.trigger });
  }
  return { systems, triggers };
}

/** The notification destinations: the top-level list (every tenant) and each tenant's own. */
export async function buildNotifications(
  config: Config,
  deps: { clock: Clock; keys: KeyRing; log: Logger; closers: Closeable[]; adapters: ReadonlyMap<string, Adapter>; tenants: Pick<TenantRegistry, "get"> },
): Promise<NotificationDestinations> {
  const configured = [...config.notifications.map((d) => ({ d, tenantId: null })), ...config.tenants.flatMap((t) => t.notifications.map((d) => ({ d, tenantId: t.id })))];
  await preload(NOTIFIER_MODULES, configured.map(({ d }) => d.kind));
  const events = (d: NotificationDestinationConfig) => new Set(d.events ?? (d.kind === "email" ? EMAIL_DEFAULT_EVENTS : NOTIFICATION_EVENT_TYPES));
  const destination = (d: NotificationDestinationConfig, tenantId: string | null, key: string, notifier: Notifier): NotificationDestination => ({
    key,
    notifier: keep(deps.closers, notifier),
    events: events(d),
    outcomes: d.outcomes === undefined ? null : new Set(d.outcomes),
    tenantId,
  });
  const urlNotifier = async (d: Exclude<NotificationDestinationConfig, { kind: "email" }>): Promise<Notifier> => {
    const posterDeps = { log: deps.log, now: () => deps.clock.now().getTime() };
    if (d.kind === "webhook") return (await NOTIFIER_MODULES.webhook()).createWebhookNotifier(d, posterDeps);
    if (d.kind === "teams") return (await NOTIFIER_MODULES.teams()).createTeamsNotifier(d, posterDeps);
    return (await NOTIFIER_MODULES.slack()).createSlackNotifier(d, posterDeps);
  };
  const build = async (d: NotificationDestinationConfig, tenantId: string | null): Promise<NotificationDestination[]> => {
    if (d.kind !== "email") return [destination(d, tenantId, destinationKey(deps.keys, d.kind, destinationUrl(d)), await urlNotifier(d))];
    const { createEmailNotifier } = await NOTIFIER_MODULES.email();
    const channel = deps.adapters.get(d.provider);
    // referenceProblems refused the configuration already; this guards a programming error.
    if (channel === undefined || !("send" in channel) || !channel.channels.includes("email")) throw new Error(`notification provider ${d.provider} does not carry email`);
    // One destination per recipient: each gets its message once, and a failure of one is retried without resending to the others.
    const emailDeps = { channel, managerOf: (tenant: string, subject: string) => managerAddress(deps.tenants, tenant, subject) };
    return [
      ...(d.to ?? []).map((address) =>
        destination(d, tenantId, destinationKey(deps.keys, "email", `${d.provider}\n${address.toLowerCase()}`), createEmailNotifier({ kind: "address", address }, emailLabel(d, maskEmail(address)), emailDeps)),
      ),
      ...(d.notifyManager
        ? [destination(d, tenantId, destinationKey(deps.keys, "email", `${d.provider}\nmanager\n${d.name ?? ""}`), createEmailNotifier({ kind: "manager" }, emailLabel(d, "the caller's manager"), emailDeps))]
        : []),
    ];
  };
  const built = await Promise.all(configured.map(({ d, tenantId }) => build(d, tenantId)));
  return createNotificationDestinations(built.flat());
}

/** An email destination without `events` hears of fraud reports only. */
const EMAIL_DEFAULT_EVENTS: readonly NotificationEventType[] = ["verification.fraud_reported"];

/** The caller's manager's address, from the tenant's directory now; null when there is no usable manager. */
async function managerAddress(tenants: Pick<TenantRegistry, "get">, tenantId: string, subjectId: string): Promise<string | null> {
  const user = await tenants.get(tenantId)?.directory.findUser(subjectId);
  if (user === undefined || user === null) return null;
  const found = usableManager(user);
  return "manager" in found ? found.manager.email : null;
}

import type { Config } from "../config/schema.js";
import type { IdentityProofingService } from "../domain/face-check.js";
import { VerityError } from "../domain/errors.js";
import type { AnchorSink, Clock, ProbeResult } from "../domain/ports.js";
import { decideLimit } from "../domain/rate-limit.js";
import type { Actor } from "./actor.js";
import type { AuditAnchors } from "./audit-anchors.js";
import type { AuditWriter } from "./audit-service.js";
import type { NotificationDestination } from "./notifications.js";
import type { MethodBinding, TenantRegistry } from "./tenant-registry.js";

export type IntegrationKind = "directory" | "provider" | "ticketing" | "anchor" | "notification";

/** One configured integration, as the administration page lists it. */
export interface Integration {
  /** `directory:<tenant>`, `provider:<name>`, `ticketing:<name>`, `anchor:<index>` or `notification:<key>`. */
  readonly id: string;
  readonly kind: IntegrationKind;
  /** Its configured name (a provider's, a ticketing system's), the tenant's id, or the sink's label. */
  readonly name: string;
  /** What it is, as people call it: "Microsoft Entra ID", "Twilio SMS", "HaloPSA". */
  readonly product: string;
  readonly developmentOnly: boolean;
  /** False where the adapter has no connection test. */
  readonly testable: boolean;
}

export interface TenantIntegrations {
  readonly tenant: { readonly id: string; readonly name: string };
  readonly directory: Integration;
  readonly methods: readonly { readonly method: string; readonly integration: Integration }[];
  /** The ticketing systems the tenant is reached from (none, one, or several). */
  readonly ticketing: readonly Integration[];
  /** The tenant's own notification destinations (tenants[].notifications). */
  readonly notifications: readonly Integration[];
}

/** A test's result, with when and by whom it was run. */
export interface TestOutcome extends ProbeResult {
  readonly at: string;
  readonly by: string;
}

export interface ConnectionTests {
  /**
   * The integrations `actor` may see: its tenants' (every tenant's, the anchor sinks and the
   * top-level notification destinations, for an unrestricted admin).
   */
  list(actor: Actor): { readonly tenants: readonly TenantIntegrations[]; readonly anchors: readonly Integration[]; readonly notifications: readonly Integration[] };
  /** The latest test of an integration in this process. */
  last(id: string): TestOutcome | undefined;
  /**
   * Tests one integration with its harmless call, at most once per integration every 10 s (so no
   * page can hammer a vendor), and audits it as `integration.tested`.
   * @throws VerityError NOT_FOUND (not one `actor` may see or test), RATE_LIMITED (tested under 10 s ago)
   */
  run(id: string, actor: Actor): Promise<TestOutcome>;
}

const SPACING = { max: 1, windowSeconds: 10 };
const DEADLINE_MS = 20_000;

const PROVIDER_PRODUCTS: Readonly<Record<string, string>> = {
  console: "Console (development only)",
  simulated: "Simulated push (development only)",
  twilio: "Twilio SMS",
  vip: "Symantec VIP",
  duo: "Duo",
  okta: "Okta Verify",
  entra: "Microsoft Authenticator (Entra MFA connector)",
  "verified-id": "Microsoft Entra Verified ID (Face Check)",
};
const DIRECTORY_PRODUCTS: Readonly<Record<string, string>> = { entra: "Microsoft Entra ID", okta: "Okta", file: "Directory file" };
const NOTIFICATION_PRODUCTS: Readonly<Record<string, string>> = {
  webhook: "Signed webhook (Standard Webhooks)",
  teams: "Microsoft Teams (Workflows)",
  slack: "Slack (incoming webhook)",
  email: "Email alert (through an email provider)",
};

interface Entry {
  readonly integration: Integration;
  readonly tenants: ReadonlySet<string>;
  readonly probe: (() => Promise<ProbeResult>) | undefined;
}

/**
 * Connection tests of every configured integration: the tenants' directories, the providers their
 * methods use, their ticketing systems, and the audit anchor sinks. Results and the spacing of
 * tests live in memory: they are a view for administrators, not a record (the audit log is).
 */
export function createConnectionTests(deps: {
  readonly tenants: Pick<TenantRegistry, "all">;
  readonly config: Pick<Config, "providers" | "tenants">;
  readonly anchors: Pick<AuditAnchors, "sinks" | "probe">;
  /** Where events are sent, and their test (a `verity.test` message, see probeDestination). */
  readonly notifications?: { all(): readonly NotificationDestination[]; probe(destination: NotificationDestination): Promise<ProbeResult> };
  readonly audit: Pick<AuditWriter, "append">;
  readonly clock: Clock;
}): ConnectionTests {
  const destinations = deps.notifications?.all() ?? [];
  const notification = (d: (typeof destinations)[number]) =>
    add(
      { id: `notification:${d.key}`, kind: "notification", name: d.notifier.label, product: NOTIFICATION_PRODUCTS[d.notifier.kind] ?? d.notifier.kind, developmentOnly: false, testable: true },
      d.tenantId,
      () => deps.notifications?.probe(d) ?? Promise.resolve({ ok: false, detail: "No test for this destination." }),
    );
  const entries = new Map<string, Entry>();
  const add = (integration: Integration, tenant: string | null, probe: Entry["probe"]) => {
    const known = entries.get(integration.id);
    const tenants = new Set(known?.tenants ?? []);
    if (tenant !== null) tenants.add(tenant);
    entries.set(integration.id, { integration, tenants, probe });
    return integration;
  };
  const tenantViews = deps.tenants.all().map((tenant): TenantIntegrations => {
    const directoryKind = deps.config.tenants.find((t) => t.id === tenant.id)?.directory.kind ?? "";
    const directory = add(
      { id: `directory:${tenant.id}`, kind: "directory", name: tenant.id, product: DIRECTORY_PRODUCTS[directoryKind] ?? directoryKind, developmentOnly: false, testable: tenant.directory.probe !== undefined },
      tenant.id,
      tenant.directory.probe?.bind(tenant.directory),
    );
    const methods = [...tenant.methods].flatMap(([method, binding]) => [
      { method, integration: add(providerOf(binding, deps.config), tenant.id, probeOf(binding)) },
      // A Face Check method's identity service is tested beside the channel that carries its link.
      ...("services" in binding && binding.services.verifiedId !== undefined ? [{ method, integration: add(serviceOf(binding.services.verifiedId), tenant.id, binding.services.verifiedId.probe?.bind(binding.services.verifiedId)) }] : []),
    ]);
    const ticketing = [...(tenant.ticketing?.systems ?? [])].map(([name, system]) =>
      add(
        { id: `ticketing:${name}`, kind: "ticketing", name, product: system.vendor, developmentOnly: false, testable: system.probe !== undefined },
        tenant.id,
        system.probe?.bind(system),
      ),
    );
    const notifications = destinations.filter((d) => d.tenantId === tenant.id).map(notification);
    return { tenant: { id: tenant.id, name: tenant.name }, directory, methods, ticketing, notifications };
  });
  const anchorViews = deps.anchors.sinks.map((sink: AnchorSink, index) =>
    add({ id: `anchor:${index}`, kind: "anchor", name: sink.label, product: `Audit anchor (${sink.kind})`, developmentOnly: false, testable: true }, null, () =>
      deps.anchors.probe(sink),
    ),
  );

  const everyTenant = destinations.filter((d) => d.tenantId === null).map(notification);

  const results = new Map<string, TestOutcome>();
  const started = new Map<string, Date>();
  const visible = (entry: Entry, actor: Actor) =>
    actor.role === "admin" && (actor.tenants === null || (entry.tenants.size > 0 && [...entry.tenants].some((t) => actor.tenants?.includes(t))));

  return {
    list(actor) {
      const mine = actor.tenants;
      return {
        tenants: tenantViews.filter((v) => actor.role === "admin" && (mine === null || mine.includes(v.tenant.id))),
        anchors: actor.role === "admin" && mine === null ? anchorViews : [],
        notifications: actor.role === "admin" && mine === null ? everyTenant : [],
      };
    },
    last: (id) => results.get(id),
    async run(id, actor) {
      const entry = entries.get(id);
      if (entry === undefined || !visible(entry, actor) || entry.probe === undefined) {
        throw new VerityError("NOT_FOUND", { message: "No integration with a connection test has that id." });
      }
      const now = deps.clock.now();
      const previous = started.get(id);
      const decision = decideLimit(SPACING, previous === undefined ? [] : [previous], now);
      if (!decision.allowed) {
        throw new VerityError("RATE_LIMITED", {
          message: `${entry.integration.name} was tested moments ago; wait ${decision.retryAfterSeconds} s before testing it again, so the vendor is not hammered.`,
          retryAfterSeconds: decision.retryAfterSeconds,
        });
      }
      started.set(id, now);
      const found = await withDeadline(entry.probe);
      const outcome: TestOutcome = { ...found, at: deps.clock.now().toISOString(), by: actor.name };
      results.set(id, outcome);
      const { kind, name, product } = entry.integration;
      await deps.audit.append([
        {
          actor: actor.id,
          actorName: actor.name,
          action: "integration.tested",
          outcome: found.ok ? "ok" : "failed",
          data: { integration: id, kind, name, product, detail: found.detail.slice(0, 500) },
        },
      ]);
      return outcome;
    },
  };
}

function providerOf(binding: MethodBinding, config: Pick<Config, "providers">): Integration {
  const adapter = "channel" in binding ? binding.channel : binding.provider;
  const kind = config.providers[adapter.name]?.kind ?? ("kind" in adapter ? adapter.kind : "");
  return {
    id: `provider:${adapter.name}`,
    kind: "provider",
    name: adapter.name,
    product: PROVIDER_PRODUCTS[kind] ?? kind,
    developmentOnly: adapter.developmentOnly,
    testable: adapter.probe !== undefined,
  };
}

function serviceOf(service: IdentityProofingService): Integration {
  return {
    id: `provider:${service.name}`,
    kind: "provider",
    name: service.name,
    product: PROVIDER_PRODUCTS["verified-id"] ?? "verified-id",
    developmentOnly: service.developmentOnly,
    testable: service.probe !== undefined,
  };
}

function probeOf(binding: MethodBinding): Entry["probe"] {
  const adapter = "channel" in binding ? binding.channel : binding.provider;
  return adapter.probe?.bind(adapter);
}

/** A probe that takes longer than this has told the administrator enough: it is not answering. */
async function withDeadline(probe: () => Promise<ProbeResult>): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `No answer within ${DEADLINE_MS / 1000} s: the service is not answering, or something between Verity and it drops the connection.` }),
      DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([probe().catch((): ProbeResult => ({ ok: false, detail: "The test failed unexpectedly; try again." })), late]);
  } finally {
    clearTimeout(timer);
  }
}

import { z } from "zod";
import { CODE_CHANNELS } from "../domain/methods.js";
import { isMethodId, parseMethod, usesChannel } from "../domain/methods.js";
import { ASSURANCE_LEVELS } from "../domain/assurance.js";
import { POLICY_ACTIONS } from "../domain/policy.js";
import { sourceRanges } from "./fields.js";
import { ssoTenantProblems } from "../adapters/sso/sso-config.js";
import { webConfigSchema } from "./web-config.js";
import { Secret } from "./secret.js";
import { USER_ID_RULES } from "../domain/methods.js";
import { twilioConfigSchema } from "../adapters/channel/twilio-sms/twilio-config.js";
import { smtpConfigSchema } from "../adapters/channel/smtp/smtp-config.js";
import { graphMailConfigSchema } from "../adapters/channel/graph-mail/graph-mail-config.js";
import { entraDirectoryConfigSchema } from "../adapters/directory/entra/entra-config.js";
import { oktaDirectoryConfigSchema } from "../adapters/directory/okta/okta-directory-config.js";
import { ticketingConfigSchema } from "../adapters/ticketing/registry.js";
import { duoConfigSchema } from "../adapters/push/duo/duo-config.js";
import { entraMfaConfigSchema } from "../adapters/push/entra-mfa/entra-mfa-config.js";
import { oktaConfigSchema } from "../adapters/push/okta/okta-config.js";
import { vipConfigSchema } from "../adapters/push/vip/vip-config.js";
import { verifiedIdConfigSchema } from "../adapters/verified-id/verified-id-config.js";
import { auditConfigSchema } from "../adapters/anchor/anchor-config.js";
import { notificationsSchema } from "../adapters/notify/notify-config.js";
import { entraSigninConfigSchema, oktaSigninConfigSchema, signinReferenceProblems, simulatedSigninConfigSchema, tenantSigninSchema } from "../adapters/signin/signin-config.js";

const secret = z
  .string()
  .min(1, "must not be empty")
  .transform((value) => new Secret(value));

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "use lowercase letters, digits and hyphens (at most 63)");

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

const limitRule = z.strictObject({ max: z.number().int().min(1).max(1000), windowSeconds: seconds(1, 7 * 86_400) });
/** Caps over many callers (a technician's, a tenant's, a country's sends) reach higher. */
const wideLimitRule = z.strictObject({ max: z.number().int().min(1).max(1_000_000), windowSeconds: seconds(1, 7 * 86_400) });

const VERIFICATION_FIELDS = {
  codeLength: z.number().int().min(6).max(10),
  codeTtlSeconds: seconds(60, 3600),
  maxChecks: z.number().int().min(1).max(10),
  maxSends: z.number().int().min(1).max(10),
  pushTimeoutSeconds: seconds(30, 600),
};

/** The top-level `verification` block: defaults for every tenant. */
const verificationSettings = z.strictObject({
  codeLength: VERIFICATION_FIELDS.codeLength.default(6),
  codeTtlSeconds: VERIFICATION_FIELDS.codeTtlSeconds.default(600),
  maxChecks: VERIFICATION_FIELDS.maxChecks.default(5),
  maxSends: VERIFICATION_FIELDS.maxSends.default(3),
  pushTimeoutSeconds: VERIFICATION_FIELDS.pushTimeoutSeconds.default(120),
  /**
   * Per caller (pushes, sends, failures: across verifications, methods and instances), then the
   * caps on whoever sends and wherever texts go (SECURITY.md A8: SMS pumping, a rogue or hijacked
   * technician): per technician, per tenant per hour and per day, per destination country and per
   * dialling prefix.
   */
  limits: z
    .strictObject({
      pushes: limitRule.default({ max: 3, windowSeconds: 900 }),
      sends: limitRule.default({ max: 6, windowSeconds: 3600 }),
      failures: limitRule.default({ max: 10, windowSeconds: 86_400 }),
      technician: wideLimitRule.default({ max: 40, windowSeconds: 3600 }),
      tenant: wideLimitRule.default({ max: 200, windowSeconds: 3600 }),
      tenantDaily: wideLimitRule.default({ max: 1000, windowSeconds: 86_400 }),
      smsCountry: wideLimitRule.default({ max: 500, windowSeconds: 3600 }),
      smsPrefix: wideLimitRule.default({ max: 50, windowSeconds: 3600 }),
    })
    .prefault({}),
  /**
   * Whether a technician may word a push themselves (pushpoll's -t/-m). Off by default: words an
   * attacker at the desk chooses ("IT is calling you: approve this") must not reach a caller.
   */
  allowCustomPushText: z.boolean().default(false),
  /**
   * Whether a confirmation link's page shows the caller the verification's reason. Off by default:
   * the reason is free text a technician typed.
   */
  linkShowsReason: z.boolean().default(false),
});

/** A tenant's overrides: only what it sets differs from the defaults. */
const tenantVerificationOverrides = z.strictObject({
  codeLength: VERIFICATION_FIELDS.codeLength.optional(),
  codeTtlSeconds: VERIFICATION_FIELDS.codeTtlSeconds.optional(),
  maxChecks: VERIFICATION_FIELDS.maxChecks.optional(),
  maxSends: VERIFICATION_FIELDS.maxSends.optional(),
  pushTimeoutSeconds: VERIFICATION_FIELDS.pushTimeoutSeconds.optional(),
  limits: z
    .strictObject({
      pushes: limitRule.optional(),
      sends: limitRule.optional(),
      failures: limitRule.optional(),
      tenant: wideLimitRule.optional(),
      tenantDaily: wideLimitRule.optional(),
    })
    .optional(),
  allowCustomPushText: z.boolean().optional(),
  linkShowsReason: z.boolean().optional(),
});

const consoleProvider = z.strictObject({
  kind: z.literal("console"),
  channels: z.array(z.enum(CODE_CHANNELS)).min(1).default(["sms", "email"]),
});

const simulatedProvider = z.strictObject({
  kind: z.literal("simulated"),
});

export const providerSchema = z.discriminatedUnion("kind", [
  consoleProvider,
  simulatedProvider,
  twilioConfigSchema,
  smtpConfigSchema,
  graphMailConfigSchema,
  vipConfigSchema,
  duoConfigSchema,
  oktaConfigSchema,
  entraMfaConfigSchema,
  verifiedIdConfigSchema,
  entraSigninConfigSchema,
  oktaSigninConfigSchema,
  simulatedSigninConfigSchema,
]);
export type ProviderConfig = z.output<typeof providerSchema>;

/** Which code channels each provider kind can carry. */
const CHANNELS_OF_KIND: Record<ProviderConfig["kind"], readonly string[]> = {
  console: CODE_CHANNELS,
  simulated: [],
  twilio: ["sms"],
  smtp: ["email"],
  "graph-mail": ["email"],
  vip: [],
  duo: [],
  okta: [],
  entra: [],
  "verified-id": [],
  "entra-signin": [],
  "okta-signin": [],
  "simulated-signin": [],
};
/** Which push/passcode kinds each provider kind serves. */
const PUSH_OF_KIND: Record<ProviderConfig["kind"], readonly ("push" | "passcode")[]> = {
  console: [],
  simulated: ["push", "passcode"],
  twilio: [],
  smtp: [],
  "graph-mail": [],
  vip: ["push", "passcode"],
  duo: ["push", "passcode"],
  okta: ["push", "passcode"],
  entra: ["push", "passcode"],
  "verified-id": [],
  "entra-signin": [],
  "okta-signin": [],
  "simulated-signin": [],
};

/** Provider kinds that reach no real person: labelled development-only everywhere. */
export const DEVELOPMENT_KINDS: ReadonlySet<string> = new Set(["console", "simulated", "simulated-signin"]);

export const ticketingSchema = ticketingConfigSchema;
export type { TicketingConfig } from "../adapters/ticketing/registry.js";

const fileDirectory = z.strictObject({
  kind: z.literal("file"),
  path: z.string().min(1),
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, "an ISO 3166 country code such as GB or US")
    .optional(),
});

const directorySchema = z.discriminatedUnion("kind", [fileDirectory, entraDirectoryConfigSchema, oktaDirectoryConfigSchema]);

const template = (placeholder: string) =>
  z.string().min(1).max(1000).refine((t) => t.includes(placeholder), `must contain ${placeholder}`);

const messagesSchema = z.strictObject({
  sms: template("{code}").optional(),
  emailSubject: z.string().min(1).max(200).optional(),
  email: template("{code}").optional(),
  pushTitle: z.string().min(1).max(100).optional(),
  pushMessage: z.string().min(1).max(250).optional(),
  /** A confirmation link's text (sms-link, and email-link's body). */
  link: template("{link}").optional(),
  linkEmailSubject: z.string().min(1).max(200).optional(),
  /** A Face Check link's text (sms-faceid, and email-faceid's body). */
  faceidLink: template("{link}").optional(),
  faceidEmailSubject: z.string().min(1).max(200).optional(),
  /** A sign-in link's text (sms-signin, and email-signin's body). */
  signinLink: template("{link}").optional(),
  signinEmailSubject: z.string().min(1).max(200).optional(),
});

const policySchema = z.strictObject({
  default: z.enum(POLICY_ACTIONS).default("warn"),
  rules: z.record(z.string().regex(/^[a-z_]+$/), z.enum(POLICY_ACTIONS)).default({ privileged: "second_method" }),
  /**
   * The assurance a verified caller must reach before the technician acts (docs/assurance.md):
   * `required` for everyone, `privileged` for privileged accounts, and whether two verified
   * methods of different kinds stand in for the level.
   */
  assurance: z
    .strictObject({
      required: z.enum(ASSURANCE_LEVELS).default("possession"),
      privileged: z.enum(ASSURANCE_LEVELS).optional(),
      orTwoMethods: z.boolean().default(true),
    })
    .prefault({}),
});

const tenantSchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(100),
  domains: z
    .array(z.string().regex(/^([a-z0-9.-]+\.[a-z]{2,}|\*)$/i, "a domain such as contoso.com, or * for every other domain"))
    .default([])
    .transform((d) => d.map((x) => x.toLowerCase())),
  directory: directorySchema,
  methods: z
    .record(
      z.string().refine(isMethodId, "use sms, email, sms-link, email-link, sms-signin, email-signin, sms-faceid, email-faceid, manager-approval, <provider>-push or <provider>-passcode"),
      z
        .union([
          z.string().min(1),
          z.strictObject({
            provider: z.string().min(1),
            userId: z.enum(USER_ID_RULES).optional(),
            /** A sign-in or Verified ID method's identity service (a provider name); `provider` is the channel carrying the link. */
            service: z.string().min(1).optional(),
          }),
        ])
        .transform((v) => (typeof v === "string" ? { provider: v } : v)),
    )
    .refine((m) => Object.keys(m).length > 0, "enable at least one method"),
  policy: policySchema.prefault({}),
  /** Countries (ISO 3166 codes) this tenant's texts may go to; absent means any country. */
  smsCountries: z
    .array(z.string().regex(/^[A-Z]{2}$/, "an ISO 3166 country code such as GB or US"))
    .min(1, "list at least one country, or leave the setting out")
    .optional(),
  verification: tenantVerificationOverrides.default({}),
  messages: messagesSchema.default({}),
  ticketing: z
    .strictObject({
      /**
       * The name under the top-level `ticketing` whose tickets this tenant's callers raise, or a
       * list of them when the tenant is reached from several (an MSP's PSA and the client's own
       * ServiceNow, say). The first is where API starts that name a ticket look by default.
       */
      system: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(20)]).transform((s) => (typeof s === "string" ? [s] : [...new Set(s)])),
      codeHandling: z.enum(["readback", "reveal"]).default("readback"),
      /** The method a ticket's trigger starts. */
      method: z.string().default("sms"),
    })
    .optional(),
  /** Where this tenant's verification results and fraud reports are sent (besides the top-level list). */
  notifications: notificationsSchema,
  /** Sign-in verification (sms-signin, email-signin): the caller's Entra tenant, the authentication context, and what a weaker sign-in gets. */
  signIn: tenantSigninSchema.prefault({}),
});

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const configSchema = z
  .strictObject({
    dataDir: z.string().min(1).default("./data"),
    server: z
      .strictObject({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65_535).default(8787),
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        /**
         * Which peers' X-Forwarded-For to believe: false (none, the default), the proxies'
         * addresses or CIDR ranges, or the number of proxy hops in front of Verity. `true` would
         * let anyone forge their address past allowlists and limits, so it is refused.
         */
        trustProxy: z
          .union([z.boolean(), z.number().int().min(1).max(10), sourceRanges])
          .default(false)
          .superRefine((value, ctx) => {
            if (value === true) {
              ctx.addIssue({
                code: "custom",
                message:
                  "true would trust X-Forwarded-For from anyone, so a forged header could pass webhook allowlists and escape rate limits; list your proxies' addresses or CIDR ranges (e.g. [10.0.0.5, 10.1.0.0/16]) or give the number of proxy hops (e.g. 1)",
              });
            }
          }),
        bodyLimitBytes: z.number().int().min(1024).max(1_048_576).default(65_536),
        /** Per API token (or page link), and per client address for requests without one. */
        requestsPerMinute: z.number().int().min(1).max(100_000).default(300),
        /** Per source address on the webhook routes (/hooks/…), a bucket of their own. */
        webhookRequestsPerMinute: z.number().int().min(1).max(100_000).default(600),
        /** Event streams one token (or one address) may hold open at once. */
        maxStreamsPerClient: z.number().int().min(1).max(1000).default(20),
        /**
         * Prometheus metrics at /metrics: with `token`, on this server behind that bearer token;
         * with `port`, on a listener of their own (host default 127.0.0.1), e.g. a private
         * address only the scraper reaches. Absent: no metrics.
         */
        metrics: z
          .strictObject({
            token: secret.refine((s) => s.reveal().length >= 24, "must be at least 24 characters of random data").optional(),
            port: z.number().int().min(1).max(65_535).optional(),
            host: z.string().min(1).default("127.0.0.1"),
          })
          .refine((m) => m.token !== undefined || m.port !== undefined, "give a token (metrics on this server, behind it) or a port (a listener of their own), or both")
          .optional(),
      })
      .prefault({}),
    database: z.strictObject({ url: z.string().min(1).optional() }).prefault({}),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default("info") }).prefault({}),
    /**
     * Background jobs (ticket notes, HaloPSA presses). A job taken by an instance that then dies
     * waits this long before another instance (or the restarted one) takes it again. A running
     * job renews its claim every third of this, so a slow job is never taken over while its
     * instance lives.
     */
    jobs: z.strictObject({ lockSeconds: z.number().int().min(5).max(3600).default(30) }).prefault({}),
    security: z
      .strictObject({
        hashKey: secret
          .refine((s) => s.reveal().length >= 32, "must be at least 32 characters of random data")
          .optional(),
      })
      .prefault({}),
    verification: verificationSettings.prefault({}),
    web: webConfigSchema,
    /** Exports of the audit chain's head to sinks outside the database (anchors). */
    audit: auditConfigSchema,
    providers: z.record(slug, providerSchema).default({}),
    ticketing: z.record(slug, ticketingSchema).default({}),
    tenants: z.array(tenantSchema).min(1, "configure at least one tenant"),
    /** Where every tenant's verification results and fraud reports are sent (webhook, teams, slack). */
    notifications: notificationsSchema,
  });

export type Config = z.output<typeof configSchema>;
export type TenantConfig = Config["tenants"][number];
export type VerificationSettings = z.output<typeof verificationSettings>;

/** A tenant's effective settings: the defaults with the tenant's overrides on top. */
export function effectiveSettings(config: Config, tenant: TenantConfig): VerificationSettings {
  const { limits, ...overrides } = tenant.verification;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    ...config.verification,
    ...defined,
    limits: { ...config.verification.limits, ...Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== undefined)) },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Problems that span settings: duplicate tenants and domains, methods whose provider is missing
 * or of the wrong kind, PostgreSQL without a shared key. Runs on the raw tree, so they are
 * reported together with shape problems rather than only after those are fixed.
 */
export function referenceProblems(raw: unknown): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!isRecord(raw)) return problems;
  const providers = isRecord(raw.providers) ? raw.providers : {};
  const tenants = Array.isArray(raw.tenants) ? (raw.tenants as unknown[]) : [];
  const seenIds = new Map<string, number>();
  const seenDomains = new Map<string, string>();
  const wildcards = tenants.filter((t) => isRecord(t) && Array.isArray(t.domains) && t.domains.includes("*")).length;
  if (wildcards > 1) problems.push({ path: "tenants", message: "only one tenant may claim the domain *" });
  tenants.forEach((tenant, index) => {
    if (!isRecord(tenant)) return;
    const id = typeof tenant.id === "string" ? tenant.id : `#${index}`;
    const earlier = seenIds.get(id);
    if (earlier !== undefined) problems.push({ path: `tenants[${index}].id`, message: `duplicates tenants[${earlier}].id` });
    seenIds.set(id, index);
    for (const domain of Array.isArray(tenant.domains) ? tenant.domains : []) {
      if (typeof domain !== "string") continue;
      const owner = seenDomains.get(domain.toLowerCase());
      if (owner !== undefined && owner !== id) {
        problems.push({ path: `tenants[${index}].domains`, message: `domain ${domain} is already claimed by tenant ${owner}` });
      }
      seenDomains.set(domain.toLowerCase(), id);
    }
    const methods = isRecord(tenant.methods) ? tenant.methods : {};
    for (const [methodId, binding] of Object.entries(methods)) {
      const providerName = typeof binding === "string" ? binding : isRecord(binding) ? binding.provider : undefined;
      if (typeof providerName !== "string" || !isMethodId(methodId)) continue;
      const path = `tenants[${index}].methods.${methodId}`;
      const provider = providerSchema.safeParse(providers[providerName]);
      if (providers[providerName] === undefined) {
        problems.push({ path, message: `provider '${providerName}' is not defined under providers` });
        continue;
      }
      if (!provider.success) continue;
      const method = parseMethod(methodId);
      const kind = provider.data.kind;
      const ok =
        usesChannel(method)
          ? CHANNELS_OF_KIND[kind].includes(method.channel) && (provider.data.kind !== "console" || provider.data.channels.includes(method.channel))
          : method.provider === kind && PUSH_OF_KIND[kind].includes(method.kind);
      if (!ok) problems.push({ path, message: `provider '${providerName}' (${kind}) cannot serve ${methodId}` });
      if (method.kind === "faceid") problems.push(...faceCheckServiceProblems(path, isRecord(binding) ? binding.service : undefined, providers));
    }
  });
  tenants.forEach((tenant, index) => {
    if (!isRecord(tenant) || !isRecord(tenant.directory) || tenant.directory.kind !== "entra") return;
    const domains = Array.isArray(tenant.domains) ? tenant.domains : [];
    if (tenant.directory.tenantId === undefined && domains.length === 0) {
      problems.push({
        path: `tenants[${index}].directory.tenantId`,
        message: "an Entra directory needs tenantId, a domain to resolve it from, or the * domain (catch-all for every consented tenant)",
      });
    }
  });
  const ticketing = isRecord(raw.ticketing) ? raw.ticketing : {};
  tenants.forEach((tenant, index) => {
    if (!isRecord(tenant) || !isRecord(tenant.ticketing)) return;
    const named = tenant.ticketing.system;
    for (const system of Array.isArray(named) ? named : [named]) {
      if (typeof system === "string" && ticketing[system] === undefined) {
        problems.push({ path: `tenants[${index}].ticketing.system`, message: `ticketing system '${system}' is not defined under ticketing` });
      }
    }
    const method = typeof tenant.ticketing.method === "string" ? tenant.ticketing.method : "sms";
    if (!isRecord(tenant.methods) || tenant.methods[method] === undefined) {
      problems.push({ path: `tenants[${index}].ticketing.method`, message: `method '${method}' is not enabled for this tenant` });
    }
  });
  const database = isRecord(raw.database) ? raw.database : {};
  const security = isRecord(raw.security) ? raw.security : {};
  if (typeof database.url === "string" && /^postgres(ql)?:\/\//.test(database.url) && security.hashKey === undefined) {
    problems.push({ path: "security.hashKey", message: "is required with PostgreSQL: every instance must share one key" });
  }
  if (typeof database.url === "string" && database.url !== "" && !/^(postgres(ql)?:\/\/|sqlite:)/.test(database.url)) {
    problems.push({ path: "database.url", message: "must start with sqlite: or postgres://" });
  }
  problems.push(...ssoTenantProblems(raw));
  problems.push(...signinReferenceProblems(raw));
  problems.push(...emailDestinationProblems(raw, providers, tenants));
  return problems;
}

/** A Face Check method (sms-faceid, email-faceid) names its Verified ID provider as `service`. */
function faceCheckServiceProblems(path: string, service: unknown, providers: Record<string, unknown>): { path: string; message: string }[] {
  if (typeof service !== "string") return [{ path, message: "needs service: the name of a provider of kind verified-id (provider is the channel carrying the link)" }];
  if (providers[service] === undefined) return [{ path: `${path}.service`, message: `provider '${service}' is not defined under providers` }];
  const parsed = providerSchema.safeParse(providers[service]);
  if (parsed.success && parsed.data.kind !== "verified-id") return [{ path: `${path}.service`, message: `provider '${service}' (${parsed.data.kind}) is not a verified-id provider` }];
  return [];
}

/** An email notification destination names a provider that carries email (smtp, graph-mail, or console with email). */
function emailDestinationProblems(raw: Record<string, unknown>, providers: Record<string, unknown>, tenants: readonly unknown[]): { path: string; message: string }[] {
  const lists: [string, unknown][] = [["notifications", raw.notifications], ...tenants.map((t, i): [string, unknown] => [`tenants[${i}].notifications`, isRecord(t) ? t.notifications : undefined])];
  return lists.flatMap(([path, list]) =>
    (Array.isArray(list) ? list : []).flatMap((d: unknown, i) => {
      if (!isRecord(d) || d.kind !== "email" || typeof d.provider !== "string") return [];
      const at = `${path}[${i}].provider`;
      if (providers[d.provider] === undefined) return [{ path: at, message: `provider '${d.provider}' is not defined under providers` }];
      const provider = providerSchema.safeParse(providers[d.provider]);
      if (!provider.success) return [];
      const carries = CHANNELS_OF_KIND[provider.data.kind].includes("email") && (provider.data.kind !== "console" || provider.data.channels.includes("email"));
      return carries ? [] : [{ path: at, message: `provider '${d.provider}' (${provider.data.kind}) does not carry email; use one of kind smtp, graph-mail or console` }];
    }),
  );
}

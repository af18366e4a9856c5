import type { VerificationSettings } from "../config/schema.js";
import { VerityError } from "../domain/errors.js";
import type { MethodSpec } from "../domain/methods.js";
import type { RiskPolicy } from "../domain/policy.js";
import type { Directory, MessageChannel, PushProvider } from "../domain/ports.js";

export type CodeMethod = Extract<MethodSpec, { kind: "code" }>;
export type ProviderMethod = Extract<MethodSpec, { kind: "push" | "passcode" }>;

/** A method enabled for a tenant, bound to the adapter that carries it out. */
export type MethodBinding =
  | { readonly spec: CodeMethod; readonly channel: MessageChannel }
  | { readonly spec: ProviderMethod; readonly provider: PushProvider };

export interface TenantMessages {
  readonly sms: string;
  readonly emailSubject: string;
  readonly email: string;
  readonly pushTitle: string;
  readonly pushMessage: string;
}

/** A client organisation with its directory, methods, policy and wording, ready to use. */
export interface TenantRuntime {
  readonly id: string;
  readonly name: string;
  readonly domains: readonly string[];
  readonly directory: Directory;
  readonly methods: ReadonlyMap<string, MethodBinding>;
  readonly policy: RiskPolicy;
  readonly settings: VerificationSettings;
  readonly messages: TenantMessages;
}

export interface TenantRegistry {
  all(): readonly TenantRuntime[];
  get(id: string): TenantRuntime | undefined;
  /**
   * The tenant named, else the one that claims the user's email domain, else the only tenant.
   * @throws TENANT_NOT_FOUND or TENANT_REQUIRED
   */
  resolve(explicit: string | undefined, userQuery: string): TenantRuntime;
}

export function createTenantRegistry(tenants: readonly TenantRuntime[]): TenantRegistry {
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const byDomain = new Map(tenants.flatMap((t) => t.domains.map((d) => [d, t] as const)));
  return {
    all: () => tenants,
    get: (id) => byId.get(id),
    resolve(explicit, userQuery) {
      if (explicit !== undefined) {
        const tenant = byId.get(explicit);
        if (tenant === undefined) throw new VerityError("TENANT_NOT_FOUND", { message: `No tenant has the id '${explicit}'.` });
        return tenant;
      }
      const at = userQuery.lastIndexOf("@");
      if (at > 0) {
        const tenant = byDomain.get(userQuery.slice(at + 1).trim().toLowerCase());
        if (tenant !== undefined) return tenant;
      }
      const only = tenants.length === 1 ? tenants[0] : undefined;
      if (only !== undefined) return only;
      if (at > 0) {
        throw new VerityError("TENANT_NOT_FOUND", { message: "No tenant claims that email domain; name the tenant." });
      }
      throw new VerityError("TENANT_REQUIRED");
    },
  };
}

export const DEFAULT_MESSAGES: TenantMessages = {
  sms:
    "{code} is your {organisation} service desk code ({technician}, {ticket}). " +
    "Only read this code to the service desk if you called them. Never give it to someone who called you.",
  emailSubject: "{organisation} service desk: your verification code",
  email: [
    "Hello,",
    "",
    "{technician} at the {organisation} service desk is checking your identity ({ticket}).",
    "",
    "Your code is {code}. It works once, for {minutes} minutes.",
    "",
    "Only read this code to the service desk if you called them. Never give it to someone who called you.",
    "If you did not call the service desk, report this message to your IT security team.",
  ].join("\n"),
  pushTitle: "{organisation} service desk",
  pushMessage: "{technician} at the service desk is checking your identity ({ticket}). Approve only if you are on a call with them now.",
};

export interface TemplateVars {
  readonly organisation: string;
  readonly technician: string;
  readonly ticket: string | null;
  readonly code?: string;
  readonly minutes?: number;
}

/** Fills `{organisation}`, `{technician}` (first name), `{ticket}`, `{code}` and `{minutes}`. */
export function renderTemplate(template: string, vars: TemplateVars): string {
  const values: Record<string, string> = {
    organisation: vars.organisation,
    technician: firstName(vars.technician),
    ticket: vars.ticket === null ? "your call" : `ticket ${vars.ticket}`,
    code: vars.code ?? "",
    minutes: String(vars.minutes ?? ""),
  };
  return template.replace(/\{(organisation|technician|ticket|code|minutes)\}/g, (_m, key: string) => values[key] ?? "");
}

const firstName = (name: string): string => name.trim().split(/\s+/)[0] ?? name;

import type { VerificationSettings } from "../config/schema.js";
import { VerityError } from "../domain/errors.js";
import type { CallerPageKind, MethodSpec } from "../domain/methods.js";
import type { AssuranceLevel } from "../domain/assurance.js";
import type { RiskPolicy } from "../domain/policy.js";
import type { Directory, MessageChannel, PushProvider, TicketingSystem } from "../domain/ports.js";
import type { IdentityProofingService } from "../domain/face-check.js";
import type { UserIdRule } from "../domain/methods.js";
import type { TenantSigninBinding } from "../domain/signin.js";

export type CodeMethod = Extract<MethodSpec, { kind: "code" }>;
export type LinkMethod = Extract<MethodSpec, { kind: "link" }>;
/** A method whose message carries a link to a caller page: link, signin, faceid, approval. */
export type CallerPageMethod = Extract<MethodSpec, { kind: CallerPageKind }>;

/**
 * The identity services a caller-page method needs besides its channel (the sign-in provider,
 * the Verified ID service), named by the method's `service` in configuration.
 */
export interface CallerPageServices {
  /** Face Check methods (sms-faceid, email-faceid): the Entra Verified ID Request Service. */
  readonly verifiedId?: IdentityProofingService;
  /** sms-signin / email-signin: the caller's identity provider and this tenant's settings for it. */
  readonly signin?: TenantSigninBinding;
}
export type ProviderMethod = Extract<MethodSpec, { kind: "push" | "passcode" }>;

/** A method enabled for a tenant, bound to the adapter that carries it out. */
export type MethodBinding =
  | { readonly spec: CodeMethod; readonly channel: MessageChannel }
  | { readonly spec: CallerPageMethod; readonly channel: MessageChannel; readonly services: CallerPageServices }
  | { readonly spec: ProviderMethod; readonly provider: PushProvider; readonly userIdRule?: UserIdRule };

export interface TenantMessages {
  readonly sms: string;
  readonly emailSubject: string;
  readonly email: string;
  readonly pushTitle: string;
  readonly pushMessage: string;
  /** A confirmation link's text (SMS, and the body of its email); must hold `{link}`. */
  readonly link: string;
  readonly linkEmailSubject: string;
  /** A Face Check link's text (sms-faceid, and email-faceid's body); must hold `{link}`. */
  readonly faceidLink: string;
  readonly faceidEmailSubject: string;
  /** A sign-in link's text (sms-signin, and email-signin's body); must hold `{link}`. */
  readonly signinLink: string;
  readonly signinEmailSubject: string;
}

/** How a tenant's tickets take part: where notes go, how codes are handled, what a button starts. */
export interface TenantTicketing {
  /**
   * The systems whose tickets this tenant's callers raise, by configured name, in configuration
   * order; the first is where a start that names a ticket but no system looks.
   */
  readonly systems: ReadonlyMap<string, TicketingSystem>;
  readonly primary: string;
  /**
   * `readback`: the technician types the code the caller reads out. `reveal` (the old runbook's
   * way): the code is written in the private note and the technician records match or mismatch.
   */
  readonly codeHandling: "readback" | "reveal";
  /** The method a PSA button starts, e.g. `sms`. */
  readonly method: string;
}

/** A client organisation with its directory, methods, policy and wording, ready to use. */
export interface TenantRuntime {
  readonly id: string;
  readonly name: string;
  readonly domains: readonly string[];
  readonly directory: Directory;
  readonly methods: ReadonlyMap<string, MethodBinding>;
  readonly policy: RiskPolicy;
  /** What assurance a verified caller must reach (policy.assurance). */
  readonly assurance: { readonly required: AssuranceLevel; readonly privileged: AssuranceLevel; readonly orTwoMethods: boolean };
  /** ISO countries this tenant's texts may go to; undefined means any. */
  readonly smsCountries?: readonly string[];
  readonly settings: VerificationSettings;
  readonly messages: TenantMessages;
  readonly ticketing?: TenantTicketing;
}

/**
 * The system a ticket of this tenant is in: the one named, else the tenant's first. Undefined when
 * the tenant has no ticketing system.
 * @throws VALIDATION_FAILED when the tenant is not reached through the named system
 */
export function ticketSystemOf(tenant: TenantRuntime, name?: string | null): { readonly name: string; readonly system: TicketingSystem } | undefined {
  const ticketing = tenant.ticketing;
  if (ticketing === undefined) {
    if (name === undefined || name === null) return undefined;
    throw new VerityError("VALIDATION_FAILED", { message: `${tenant.name} has no ticketing system; leave ticketSystem out.` });
  }
  const chosen = name ?? ticketing.primary;
  const system = ticketing.systems.get(chosen);
  if (system === undefined) {
    throw new VerityError("VALIDATION_FAILED", {
      message: `${tenant.name} is not reached through a ticketing system named '${chosen.slice(0, 40)}'; it uses ${[...ticketing.systems.keys()].join(", ")}.`,
    });
  }
  return { name: chosen, system };
}

export interface TenantRegistry {
  all(): readonly TenantRuntime[];
  get(id: string): TenantRuntime | undefined;
  /**
   * The tenant named, else the one that claims the user's email domain (or claims `*`), else the
   * only tenant when it claims no domains. An email in a domain nobody claims is TENANT_NOT_FOUND.
   * @throws TENANT_NOT_FOUND or TENANT_REQUIRED
   */
  resolve(explicit: string | undefined, userQuery: string): TenantRuntime;
}

export function createTenantRegistry(tenants: readonly TenantRuntime[]): TenantRegistry {
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const byDomain = new Map(tenants.flatMap((t) => t.domains.filter((d) => d !== "*").map((d) => [d, t] as const)));
  // A tenant claiming "*" serves every domain no other tenant claims (an MSP's clients in one
  // Entra app, each resolved to its own Entra tenant by the directory).
  const catchAll = tenants.find((t) => t.domains.includes("*"));
  return {
    all: () => tenants,
    get: (id) => byId.get(id),
    resolve(explicit, userQuery) {
      if (explicit !== undefined) {
        const tenant = byId.get(explicit);
        if (tenant === undefined) throw new VerityError("TENANT_NOT_FOUND", { message: `No tenant has the id '${explicit}'.` });
        return tenant;
      }
      const only = tenants.length === 1 ? tenants[0] : undefined;
      const at = userQuery.lastIndexOf("@");
      if (at > 0) {
        const domain = userQuery.slice(at + 1).trim().toLowerCase();
        const tenant = byDomain.get(domain) ?? catchAll ?? (only !== undefined && only.domains.length === 0 ? only : undefined);
        if (tenant !== undefined) return tenant;
        throw new VerityError("TENANT_NOT_FOUND", { message: `No client organisation claims the email domain ${domain.slice(0, 100)}.` });
      }
      if (only !== undefined) return only;
      throw new VerityError("TENANT_REQUIRED");
    },
  };
}

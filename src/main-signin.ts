import type { SigninService } from "./adapters/signin/signin-client.js";
import type { TenantConfig } from "./config/schema.js";
import { VerityError } from "./domain/errors.js";
import type { MethodSpec } from "./domain/methods.js";
import type { CallerPageServices } from "./services/tenant-registry.js";

/**
 * The sign-in service a tenant's sms-signin / email-signin entry names (`service:`), with the
 * tenant's settings: the Entra tenant id (signIn.entraTenantId, else the Entra directory's), the
 * authentication context, and whether a weaker sign-in is refused. Part of the composition root.
 */
export function signinServices(tenant: TenantConfig, spec: MethodSpec, serviceName: string | undefined, services: ReadonlyMap<string, SigninService>): CallerPageServices {
  if (spec.kind !== "signin") return {};
  const provider = serviceName === undefined ? undefined : services.get(serviceName);
  if (provider === undefined) {
    throw new VerityError("CONFIG_INVALID", { message: `tenant ${tenant.id}: ${spec.id} needs service: <a provider of kind entra-signin, okta-signin or simulated-signin>` });
  }
  const directoryTenantId = tenant.directory.kind === "entra" ? tenant.directory.tenantId : undefined;
  const entraTenantId = tenant.signIn.entraTenantId ?? directoryTenantId;
  return {
    signin: {
      provider,
      tenant: {
        ...(entraTenantId === undefined ? { entraTenantFromUpn: tenant.directory.kind === "entra" } : { entraTenantId }),
        ...(tenant.signIn.authContext === undefined ? {} : { authContext: tenant.signIn.authContext }),
      },
      requirePhishingResistant: tenant.signIn.belowPhishingResistant === "reject",
    },
  };
}

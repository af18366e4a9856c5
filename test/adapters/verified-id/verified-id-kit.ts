import { pino } from "pino";
import { verifiedIdConfigSchema, type VerifiedIdConfig } from "../../../src/adapters/verified-id/verified-id-config.js";
import { createVerifiedIdService } from "../../../src/adapters/verified-id/verified-id-service.js";
import type { IdentityProofingService } from "../../../src/domain/face-check.js";
import type { FakeClock } from "../../helpers/clock.js";
import { captureLogs } from "../../helpers/logs.js";
import { FAKE_CLIENT, FAKE_SECRET, FAKE_TENANT } from "../../fakes/verified-id/fake-request-service.js";

export { rejectsWith } from "../../helpers/rejects.js";

export const AUTHORITY = "did:web:verifiedid.contoso.example";
export const ISSUER = "did:web:contoso.example";
export const API_KEY = "cb-key-0123456789abcdef0123456789abcdef";
export const UPN = "jane.doe@contoso.example";

/** A `verified-id` provider block pointing at the fake, parsed like the configuration loader does. */
export function vidConfig(url: string, overrides: Record<string, unknown> = {}): VerifiedIdConfig {
  return verifiedIdConfigSchema.parse({
    kind: "verified-id",
    tenantId: FAKE_TENANT,
    clientId: FAKE_CLIENT,
    clientSecret: FAKE_SECRET,
    authority: AUTHORITY,
    acceptedIssuers: [ISSUER],
    callbackApiKey: API_KEY,
    loginUrl: url,
    requestServiceUrl: url,
    ...overrides,
  });
}

/** The adapter under test, with its log lines kept for secret checks. */
export function vidService(config: VerifiedIdConfig, clock: FakeClock): { service: IdentityProofingService; logs: string[] } {
  const { stream, lines } = captureLogs();
  const service = createVerifiedIdService(config, { name: "acme-faceid", clock, log: pino({ level: "debug" }, stream) });
  return { service, logs: lines };
}

import { z } from "zod";
import { baseUrl, secretString, timeoutMs } from "../../config/fields.js";
import { entraGuid } from "../directory/entra/entra-config.js";

/** A decentralized identifier as Verified ID writes them (`did:web:contoso.com`, `did:ion:…`). */
const did = z.string().regex(/^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/, "a DID such as did:web:verifiedid.contoso.com");

/**
 * A `providers.<name>` block of kind `verified-id`: Microsoft Entra Verified ID presentation
 * requests with Face Check (PROVIDERS.md §11), for callers who have lost every factor. Verity asks
 * the Request Service for the tenant's VerifiedEmployee credential with a live selfie matched
 * against the credential's photo; the caller presents it from Microsoft Authenticator and the
 * service calls Verity back at `<server.publicUrl>/hooks/verified-id` with `callbackApiKey` in the
 * `api-key` header. docs/integrations/verified-id.md has the tenant set-up.
 *
 * @example
 * ```yaml
 * providers:
 *   acme-faceid:
 *     kind: verified-id
 *     tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
 *     clientId: 3f0c6a4e-7b0b-4a5e-9d7e-2d0f6f0b1c2d
 *     clientSecret: ${VERIFIED_ID_SECRET}
 *     authority: did:web:verifiedid.contoso.com
 *     acceptedIssuers: [did:web:verifiedid.contoso.com]
 *     callbackApiKey: ${file:/run/secrets/verified-id-callback-key}
 * ```
 */
export const verifiedIdConfigSchema = z.strictObject({
  kind: z.literal("verified-id"),
  /** The Entra tenant that runs Verified ID (the token's tenant decides whose Request Service answers). */
  tenantId: entraGuid,
  /** The app registration with the application permission VerifiableCredential.Create.PresentRequest. */
  clientId: entraGuid,
  clientSecret: secretString,
  /** The verifier's DID: the tenant's own Verified ID authority. */
  authority: did,
  /**
   * The issuers whose credentials are accepted. Required and never empty: the Request Service
   * accepts a credential from ANY issuer when the list is empty or missing.
   */
  acceptedIssuers: z.array(did).min(1, "list at least one issuer DID (an empty list would accept credentials from anyone)").max(20),
  credentialType: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "a credential type such as VerifiedEmployee").default("VerifiedEmployee"),
  /** The credential claim that holds the photo Face Check compares the selfie with. */
  photoClaim: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default("photo"),
  /** Face Check's match confidence threshold, 50–100 (Microsoft's default 70; 80–90 is stricter). */
  matchConfidenceThreshold: z.number().int().min(50).max(100).default(70),
  /**
   * Also ask the wallet (a request constraint) for a credential whose `revocationId` (the UPN, in
   * a VerifiedEmployee credential) is the caller's. Verity checks the subject either way.
   */
  constrainToUser: z.boolean().default(true),
  /** The verifier's name shown in Microsoft Authenticator. */
  clientName: z.string().min(1).max(100).default("IT service desk"),
  /** Why the credential is asked for, shown in Microsoft Authenticator. */
  purpose: z.string().min(1).max(200).default("Confirm that you are the person on the call with the service desk."),
  /**
   * The secret the Request Service sends back in the callback's `api-key` header: long random
   * data, for this deployment only (e.g. `openssl rand -base64 32`).
   */
  callbackApiKey: secretString.refine((s) => s.reveal().length >= 32, "must be at least 32 characters of random data"),
  loginUrl: baseUrl.default("https://login.microsoftonline.com"),
  requestServiceUrl: baseUrl.default("https://verifiedid.did.msidentity.com"),
  timeoutMs: timeoutMs.default(10_000),
});

export type VerifiedIdConfig = z.output<typeof verifiedIdConfigSchema>;

/** The Request Service's resource ("Verifiable Credentials Service Request"), the same in every tenant. */
export const VERIFIED_ID_SCOPE = "3db474b9-6a0c-4840-96ac-1fceb342124f/.default";

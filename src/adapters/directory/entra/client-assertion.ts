import { constants, createHash, createPrivateKey, sign, X509Certificate, type KeyObject } from "node:crypto";
import type { Secret } from "../../../config/secret.js";
import { clientAssertionClaims, signJwt } from "../../http/jwt.js";

export interface AssertionSigner {
  /** A signed client assertion for `audience` (the token endpoint), valid from `now` for 10 minutes. */
  assertion(audience: string, now: Date): string;
}

const LIFETIME_SECONDS = 600;

/**
 * Signs client assertions (RFC 7523 JWTs) with the app's certificate key, as Microsoft's
 * "certificate credentials" page describes: PS256 (RSA-PSS, SHA-256) with the certificate's
 * SHA-256 thumbprint in `x5t#S256`, or RS256 with the legacy SHA-1 thumbprint in `x5t`.
 */
export function createAssertionSigner(credential: {
  readonly privateKey: Secret;
  readonly certificate: string;
  readonly algorithm: "PS256" | "RS256";
  readonly clientId: string;
}): AssertionSigner {
  const key: KeyObject = createPrivateKey(credential.privateKey.reveal());
  const der = new X509Certificate(credential.certificate).raw;
  const header: Record<string, string> =
    credential.algorithm === "PS256"
      ? { alg: "PS256", typ: "JWT", "x5t#S256": createHash("sha256").update(der).digest("base64url") }
      : { alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") };
  const signature = (input: Buffer) =>
    credential.algorithm === "PS256"
      ? sign("sha256", input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
      : sign("sha256", input, key);

  return {
    assertion: (audience, now) =>
      signJwt(header, clientAssertionClaims({ clientId: credential.clientId, audience, now, lifetimeSeconds: LIFETIME_SECONDS, notBefore: true }), signature),
  };
}

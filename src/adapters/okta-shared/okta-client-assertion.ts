import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import type { Secret } from "../../config/secret.js";
import { clientAssertionClaims, signJwt } from "../http/jwt.js";

/** Okta refuses assertions that live longer than an hour; five minutes covers any clock skew. */
const LIFETIME_SECONDS = 300;

export interface OktaAssertionSigner {
  /** A signed `private_key_jwt` client assertion for `audience` (the token URL), valid from `now`. */
  assertion(audience: string, now: Date): string;
}

/**
 * Signs client assertions for an Okta API Services app, as Okta's "Build a JWT for client
 * authentication" guide describes: `iss` and `sub` are the client id, `aud` the token endpoint,
 * a fresh `jti` each time, RS256 for an RSA key or ES256 for an EC P-256 key, and the key's
 * `kid` in the header when one is configured. Same approach as the Entra signer, without the
 * certificate thumbprint Okta does not use.
 */
export function createOktaAssertionSigner(credential: {
  readonly clientId: string;
  readonly privateKey: Secret;
  readonly keyId?: string | undefined;
}): OktaAssertionSigner {
  const key: KeyObject = createPrivateKey(credential.privateKey.reveal());
  const alg = key.asymmetricKeyType === "ec" ? "ES256" : "RS256";
  const header = { alg, typ: "JWT", ...(credential.keyId === undefined ? {} : { kid: credential.keyId }) };
  const signature = (input: Buffer) => (alg === "ES256" ? sign("sha256", input, { key, dsaEncoding: "ieee-p1363" }) : sign("sha256", input, key));

  return {
    assertion: (audience, now) => signJwt(header, clientAssertionClaims({ clientId: credential.clientId, audience, now, lifetimeSeconds: LIFETIME_SECONDS }), signature),
  };
}

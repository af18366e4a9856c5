import { createPrivateKey, randomUUID, sign, type KeyObject } from "node:crypto";
import type { Secret } from "../../../config/secret.js";

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
  const encodedHeader = base64url(JSON.stringify(header));

  return {
    assertion(audience, now) {
      const issuedAt = Math.floor(now.getTime() / 1000);
      const claims = {
        aud: audience,
        iss: credential.clientId,
        sub: credential.clientId,
        jti: randomUUID(),
        iat: issuedAt,
        exp: issuedAt + LIFETIME_SECONDS,
      };
      const signingInput = `${encodedHeader}.${base64url(JSON.stringify(claims))}`;
      const signature =
        alg === "ES256"
          ? sign("sha256", Buffer.from(signingInput), { key, dsaEncoding: "ieee-p1363" })
          : sign("sha256", Buffer.from(signingInput), key);
      return `${signingInput}.${signature.toString("base64url")}`;
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

import { randomUUID } from "node:crypto";

/**
 * The claims of an RFC 7523 client assertion: the client id as issuer and subject, the token
 * endpoint as audience, a fresh `jti`, issued now and valid for `lifetimeSeconds`.
 */
export function clientAssertionClaims(input: {
  readonly clientId: string;
  readonly audience: string;
  readonly now: Date;
  readonly lifetimeSeconds: number;
  /** Add `nbf` (Microsoft's examples carry it; Okta's do not). */
  readonly notBefore?: boolean;
}): Record<string, string | number> {
  const issuedAt = Math.floor(input.now.getTime() / 1000);
  return {
    aud: input.audience,
    iss: input.clientId,
    sub: input.clientId,
    jti: randomUUID(),
    iat: issuedAt,
    ...(input.notBefore === true ? { nbf: issuedAt } : {}),
    exp: issuedAt + input.lifetimeSeconds,
  };
}

/** A compact JWS: base64url header and claims, signed by `sign` over `header.claims`. */
export function signJwt(header: Readonly<Record<string, string>>, claims: Readonly<Record<string, string | number>>, sign: (input: Buffer) => Buffer): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${sign(Buffer.from(signingInput)).toString("base64url")}`;
}

function base64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

import { constants, createHash, verify, X509Certificate } from "node:crypto";

/** Why the fake's token endpoint refuses an assertion, as an AADSTS code and description. */
export interface AssertionRefusal {
  readonly code: number;
  readonly description: string;
}

const SKEW_SECONDS = 300;

/**
 * Checks a client assertion the way the token endpoint does: the signing certificate is found by
 * its `x5t#S256` (or legacy `x5t`) thumbprint among the app's uploaded certificates, the PS256 or
 * RS256 signature must verify with its public key, `aud` must be this token endpoint, `iss` and
 * `sub` the client id, and the time claims must hold.
 */
export function checkAssertion(
  assertion: string,
  expected: { readonly clientId: string; readonly audiences: readonly string[]; readonly certificates: readonly string[]; readonly now: Date },
): AssertionRefusal | undefined {
  const parts = assertion.split(".");
  const invalid = (description: string): AssertionRefusal => ({ code: 700027, description });
  if (parts.length !== 3) return { code: 50027, description: "JWT token is invalid or malformed." };
  const [encodedHeader = "", encodedClaims = "", encodedSignature = ""] = parts;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(encodedHeader, "base64url").toString("utf8")) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(encodedClaims, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return { code: 50027, description: "JWT token is invalid or malformed." };
  }
  const certificates = expected.certificates.map((pem) => {
    const cert = new X509Certificate(pem);
    return {
      cert,
      s256: createHash("sha256").update(cert.raw).digest("base64url"),
      s1: createHash("sha1").update(cert.raw).digest("base64url"),
    };
  });
  const thumbprint = typeof header["x5t#S256"] === "string" ? header["x5t#S256"] : typeof header.x5t === "string" ? header.x5t : undefined;
  const match = certificates.find((c) => c.s256 === thumbprint || c.s1 === thumbprint);
  if (match === undefined) {
    return invalid(
      `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${String(thumbprint)}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${expected.clientId}'.]`,
    );
  }
  const data = Buffer.from(`${encodedHeader}.${encodedClaims}`);
  const signature = Buffer.from(encodedSignature, "base64url");
  const key = match.cert.publicKey;
  const valid =
    header.alg === "PS256"
      ? verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature)
      : header.alg === "RS256"
        ? verify("sha256", data, key, signature)
        : false;
  if (!valid) return invalid("Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]");
  if (claims.iss !== expected.clientId || claims.sub !== expected.clientId) {
    return invalid("The iss and sub claims of the client assertion must be the client id.");
  }
  if (typeof claims.aud !== "string" || !expected.audiences.includes(claims.aud)) {
    return invalid(`The audience '${String(claims.aud)}' of the client assertion is not the token endpoint.`);
  }
  if (typeof claims.jti !== "string" || claims.jti === "") return invalid("The client assertion has no jti claim.");
  const now = expected.now.getTime() / 1000;
  const exp = typeof claims.exp === "number" ? claims.exp : Number.NaN;
  const nbf = typeof claims.nbf === "number" ? claims.nbf : now;
  if (!(exp + SKEW_SECONDS > now) || nbf - SKEW_SECONDS > now) {
    return { code: 700024, description: "Client assertion is not within its valid time range." };
  }
  return undefined;
}

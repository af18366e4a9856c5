import { isIP } from "node:net";
import { connect } from "node:tls";

/** What a bare TLS handshake with VIP showed. */
export type TlsVerdict =
  /** The server refused Verity's client certificate (an alert, or a hang-up right after the handshake). */
  | "refused"
  /** Verity does not trust the server's certificate. */
  | "untrusted-server"
  /** The handshake worked and the server kept the connection: the certificate is not the problem. */
  | "accepted"
  /** No TCP connection could be made. */
  | "unreachable";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly passphrase?: string;
  readonly ca?: readonly string[];
}

/** Codes Node gives when the server's certificate does not verify. */
export const SERVER_TRUST_CODES: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

/**
 * Opens one TLS connection to the host of `url` with Verity's client certificate, sends nothing,
 * and watches what the server does.
 *
 * Why it exists: under TLS 1.3 a server checks the client certificate only after the client
 * considers the handshake done, so the HTTP client sees "other side closed" and the server's
 * alert (certificate required, unknown CA) is lost. Run after such a failure, the probe tells a
 * refused VIP certificate, which an administrator must fix, from a network fault. A server that
 * accepted the certificate keeps the idle connection for at least `windowMs`.
 */
export function probeTls(url: URL, material: TlsMaterial, windowMs = 1000, connectTimeoutMs = 3000): Promise<TlsVerdict> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port === "" ? 443 : url.port);
  return new Promise((resolve) => {
    let tcpConnected = false;
    let secured = false;
    let settled = false;
    const socket = connect({
      host,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      cert: material.cert,
      key: material.key,
      ...(material.passphrase === undefined ? {} : { passphrase: material.passphrase }),
      ...(material.ca === undefined ? {} : { ca: [...material.ca] }),
    });
    const finish = (verdict: TlsVerdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve(verdict);
    };
    const deadline = setTimeout(() => finish(secured ? "accepted" : "unreachable"), connectTimeoutMs + windowMs);
    socket.once("connect", () => {
      tcpConnected = true;
    });
    socket.once("secureConnect", () => {
      secured = true;
      setTimeout(() => finish("accepted"), windowMs).unref();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ?? "";
      if (!secured && SERVER_TRUST_CODES.has(code)) finish("untrusted-server");
      else if (code.startsWith("ERR_SSL_")) finish("refused");
      else if (UNREACHABLE_CODES.has(code) || !tcpConnected) finish("unreachable");
      else finish("refused");
    });
    socket.once("close", () => finish(tcpConnected ? "refused" : "unreachable"));
  });
}

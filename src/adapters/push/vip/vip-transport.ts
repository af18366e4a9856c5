import { rootCertificates } from "node:tls";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Clock } from "../../../domain/ports.js";
import { createOutboundClient, OutboundError, type RetryMode } from "../../http/outbound.js";
import type { VipConfig } from "./vip-config.js";
import { errorFromFault, errorFromHttp, errorFromTransport, unreadableAnswer, type VipOperation } from "./vip-errors.js";
import { readSoap } from "./vip-responses.js";
import { probeTls, SERVER_TRUST_CODES, type TlsMaterial, type TlsVerdict } from "./vip-tls-probe.js";

export interface VipCall<S extends z.ZodType> {
  readonly op: VipOperation;
  readonly url: string;
  readonly body: string;
  readonly retry: RetryMode;
  /** The response element expected in the SOAP body. */
  readonly responseName: string;
  readonly schema: S;
  /** True when the request carried a secret (a passcode): fault texts are then not shown. */
  readonly secretInRequest?: boolean;
}

export interface VipTransport {
  /** Sends one SOAP request; resolves with the parsed response element, else rejects with a VerityError. */
  call<S extends z.ZodType>(call: VipCall<S>): Promise<z.output<S>>;
  close(): Promise<void>;
}

const PROBE_AFTER = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED"]);

/**
 * The SOAP-over-mutual-TLS leg shared by every VIP call: the one outbound client (timeouts and
 * retry modes), HTTP and SOAP Fault mapping, and, when a connection dies without an answer, a
 * TLS probe to tell a refused VIP certificate from a network fault. Bodies are never logged.
 */
export function createVipTransport(config: VipConfig, deps: { readonly name: string; readonly clock: Clock; readonly log: Pick<Logger, "warn" | "debug"> }): VipTransport {
  const material: TlsMaterial = {
    cert: config.certificate,
    key: config.privateKey.reveal(),
    ...(config.passphrase === undefined ? {} : { passphrase: config.passphrase.reveal() }),
    // Node's `ca` replaces the public roots; `ca` in the configuration is meant to add to them.
    ...(config.ca === undefined ? {} : { ca: [...rootCertificates, config.ca] }),
  };
  const client = createOutboundClient({
    name: "Symantec VIP",
    timeoutMs: config.timeoutMs,
    tls: { cert: material.cert, key: material.key, ...(material.passphrase === undefined ? {} : { passphrase: material.passphrase }), ...(material.ca === undefined ? {} : { ca: material.ca }) },
    log: deps.log,
    now: () => deps.clock.now().getTime(),
  });

  const diagnose = async (url: URL, error: OutboundError): Promise<TlsVerdict | null> => {
    const codes = causeCodes(error);
    if (codes.some((c) => SERVER_TRUST_CODES.has(c))) return "untrusted-server";
    if (codes.some((c) => c.startsWith("ERR_SSL_"))) return "refused";
    if (url.protocol !== "https:" || !codes.some((c) => PROBE_AFTER.has(c))) return null;
    return probeTls(url, material);
  };

  return {
    async call(c) {
      const url = new URL(c.url);
      let response;
      try {
        response = await client.request({
          method: "POST",
          url,
          headers: { "content-type": "text/xml; charset=utf-8", soapaction: '""', accept: "text/xml" },
          body: c.body,
          retry: c.retry,
        });
      } catch (error) {
        if (!(error instanceof OutboundError)) throw error;
        const verdict = await diagnose(url, error);
        deps.log.warn({ provider: deps.name, operation: c.op, kind: error.kind, tls: verdict }, "VIP gave no answer");
        throw errorFromTransport(c.op, error, verdict, url.host);
      }
      const reply = readSoap(response.text, c.responseName, c.schema);
      if (reply.kind === "response" && response.status >= 200 && response.status < 300) {
        deps.log.debug({ provider: deps.name, operation: c.op, attempts: response.attempts }, "VIP answered");
        return reply.value;
      }
      const mapped =
        reply.kind === "fault"
          ? errorFromFault(c.op, reply, c.secretInRequest !== true)
          : response.status < 200 || response.status >= 300
            ? errorFromHttp(c.op, response.status)
            : unreadableAnswer(c.op, reply.kind === "unreadable" ? reply.reason : "unexpected");
      deps.log.warn({ provider: deps.name, operation: c.op, httpStatus: response.status, code: mapped.code }, "VIP did not answer as expected");
      throw mapped;
    },
    close: () => client.close(),
  };
}

/** Every `code` on an error and its causes (undici wraps the socket's error). */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 6; depth += 1) {
    if ("code" in e && typeof e.code === "string") codes.push(e.code);
    e = "cause" in e ? e.cause : undefined;
  }
  return codes;
}

import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import { hostname } from "node:os";
import { VerityError } from "../../../domain/errors.js";
import type { AnchorSink } from "../../../domain/ports.js";
import type { AnchorRecord } from "../../../domain/audit-anchor.js";
import { anchorSinkLabel, type SyslogAnchorSinkConfig } from "../anchor-config.js";

/** Informational: an anchor is a routine record, not an alert. */
const SEVERITY = 6;

/**
 * One RFC 5424 message per anchor: `<PRI>1 TIMESTAMP HOST verity PROCID anchor - MSG`, the
 * anchor's JSON as MSG. A header field RFC 5424 limits (HOSTNAME ≤ 255 printable ASCII) is cut
 * or replaced by the nil value rather than making the message invalid.
 */
export function formatSyslogAnchor(anchor: AnchorRecord, options: { facility: number; host: string; pid: number }): string {
  const host = options.host.replace(/[^\x21-\x7e]/g, "").slice(0, 255) || "-";
  return `<${options.facility * 8 + SEVERITY}>1 ${anchor.at} ${host} verity ${options.pid} anchor - ${JSON.stringify(anchor)}`;
}

/**
 * Sends anchors to a syslog collector: UDP (one datagram, RFC 5426) or TCP with octet-counting
 * framing (RFC 6587 §3.4.1), a connection per anchor since one goes out every few minutes at most.
 * UDP says nothing about delivery, so a lost datagram is only noticed at the collector.
 */
export function createSyslogAnchorSink(config: SyslogAnchorSinkConfig): AnchorSink {
  const label = anchorSinkLabel(config);
  const fail = (reason: string) => new VerityError("ANCHOR_SINK_FAILED", { message: `The syslog collector ${label} ${reason}.` });
  const message = (anchor: AnchorRecord) =>
    Buffer.from(formatSyslogAnchor(anchor, { facility: config.facility, host: hostname(), pid: process.pid }), "utf8");

  const sendUdp = (payload: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const socket = createSocket(isIPv6(config.host) ? "udp6" : "udp4");
      let settled = false;
      const timer = setTimeout(() => finish(fail(`could not be sent a datagram within ${config.timeoutMs} ms`)), config.timeoutMs);
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        if (error === undefined) resolve();
        else reject(error);
      };
      socket.once("error", (error) => finish(fail(`could not be reached (${(error as NodeJS.ErrnoException).code ?? "error"})`)));
      socket.send(payload, config.port, config.host, (error) => {
        finish(error === null ? undefined : fail(`could not be reached (${(error as NodeJS.ErrnoException).code ?? "error"})`));
      });
    });

  const sendTcp = (payload: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ host: config.host, port: config.port });
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (error === undefined) resolve();
        else reject(error);
      };
      socket.setTimeout(config.timeoutMs, () => finish(fail(`did not answer within ${config.timeoutMs} ms`)));
      socket.once("error", (error) => finish(fail(`could not be reached (${(error as NodeJS.ErrnoException).code ?? "error"})`)));
      socket.once("connect", () => {
        socket.end(Buffer.concat([Buffer.from(`${payload.length} `, "ascii"), payload]), () => finish());
      });
    });

  return {
    kind: "syslog",
    label,
    write: (anchor) => (config.protocol === "tcp" ? sendTcp(message(anchor)) : sendUdp(message(anchor))),
  };
}

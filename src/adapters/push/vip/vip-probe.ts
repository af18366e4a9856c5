import type { Clock, ProbeResult } from "../../../domain/ports.js";
import { probeWith } from "../../shared/probe.js";
import { certificateExpiry, type VipConfig } from "./vip-config.js";
import { errorFromStatus, vipWording } from "./vip-errors.js";
import { getServerTime, newRequestId } from "./vip-requests.js";
import { serverTimeResponseSchema } from "./vip-responses.js";
import type { VipTransport } from "./vip-transport.js";

/**
 * VIP's connection test: GetServerTime on the query service (vipuserservices-query-1.7.wsdl), which
 * concerns no user. It crosses the same mutual TLS as every other call, so a refused or expired
 * VIP certificate, an untrusted server and an unreachable host each show up with their own words.
 * The authentication service is not called: none of its operations is harmless.
 */
export function probeVip(config: VipConfig, deps: { readonly transport: VipTransport; readonly clock: Clock }): Promise<ProbeResult> {
  return probeWith(async () => {
    const response = await deps.transport.call({
      op: "test",
      url: config.queryUrl,
      body: getServerTime(newRequestId()),
      retry: "idempotent",
      responseName: "GetServerTimeResponse",
      schema: serverTimeResponseSchema,
    });
    if (response.status !== "0000") throw errorFromStatus("test", response.status, response.statusMessage, null);
    const expires = certificateExpiry(config);
    const days = Math.floor((expires.getTime() - deps.clock.now().getTime()) / 86_400_000);
    const time = vipWording(response.timestamp);
    const renew = days < 30 ? ` It expires on ${expires.toISOString().slice(0, 10)}: renew it in VIP Manager before then.` : "";
    const answered = `VIP accepted the VIP certificate and its query service answered${time === "" ? "" : ` (server time ${time})`}.`;
    return `${answered} The authentication service (pushes, codes) is not called: none of its operations is harmless.${renew}`;
  });
}

import { VerityError } from "../../../domain/errors.js";
import type { OutboundClient, OutboundResponse, RetryMode } from "../../http/outbound.js";
import type { ConnectorTokens } from "./connector-token.js";
import { parseConnectorResponse, type ConnectorResponse } from "./connector-xml.js";
import { CONNECTOR_SERVICE, connectorHttpFailure, unreachable } from "./entra-mfa-errors.js";

export type ConnectorOperation = "BeginTwoWayAuthentication" | "EndTwoWayAuthentication";

export interface ConnectorCall {
  readonly tenant: string;
  readonly operation: ConnectorOperation;
  /** The connector's base URL (configured), without the operation. */
  readonly baseUrl: string;
  /** Extra query string, such as the session's `dc` affinity; already validated. */
  readonly query?: string;
  readonly xml: string;
  readonly retry: RetryMode;
  readonly timeoutMs?: number;
}

export interface ConnectorClient {
  /**
   * Posts one request to the connector with the tenant's token and parses the answer.
   * @throws VerityError PROVIDER_UNAVAILABLE (no answer, 429, 5xx), UPSTREAM_AUTH_FAILED (the token
   * is refused twice), PROVIDER_ERROR (another status, or an answer that is not the expected XML).
   */
  call(request: ConnectorCall): Promise<ConnectorResponse>;
}

/** The connector's XML-over-HTTP calls, with one fresh token when the connector refuses a cached one. */
export function createConnectorClient(deps: { readonly http: OutboundClient; readonly tokens: ConnectorTokens }): ConnectorClient {
  const post = async (request: ConnectorCall, token: string): Promise<OutboundResponse> => {
    try {
      return await deps.http.request({
        method: "POST",
        url: `${request.baseUrl}/${request.operation}${request.query ?? ""}`,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/xml", accept: "application/xml" },
        body: request.xml,
        retry: request.retry,
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
      });
    } catch (error) {
      throw unreachable(CONNECTOR_SERVICE, error);
    }
  };

  return {
    async call(request) {
      let response = await post(request, await deps.tokens.token(request.tenant));
      if (response.status === 401) {
        deps.tokens.invalidate(request.tenant);
        response = await post(request, await deps.tokens.token(request.tenant));
      }
      if (response.status !== 200) throw connectorHttpFailure(response);
      const parsed = parseConnectorResponse(response.text, request.operation === "BeginTwoWayAuthentication" ? "BeginTwoWayAuthenticationResponse" : "EndTwoWayAuthenticationResponse");
      if (parsed === undefined) {
        throw new VerityError("PROVIDER_ERROR", { message: `${CONNECTOR_SERVICE} answered ${request.operation} with something that is not its XML response.` });
      }
      return parsed;
    },
  };
}

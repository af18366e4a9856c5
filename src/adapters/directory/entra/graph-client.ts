import type { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { OutboundClient, OutboundResponse } from "../../http/outbound.js";
import { adminConsentUrl, unavailableAfterRetries, unreachable } from "./entra-errors.js";
import { graphErrorSchema, graphPageSchema } from "./entra-schemas.js";
import type { TokenProvider } from "./token-provider.js";
import { readJson } from "../../http/json.js";

const SERVICE = "Microsoft Graph";
const MAX_PAGES = 20;

/** One Graph read: the path under `/v1.0` (with its query) and the permission it needs. */
export interface GraphRead {
  readonly tenant: string;
  readonly path: string;
  /** The application permission to name when Graph refuses, e.g. `User.Read.All`. */
  readonly permission: string;
  /**
   * `eventual` for an advanced query: Graph filters some properties (`onPremisesSamAccountName`)
   * only with the `ConsistencyLevel: eventual` header and `$count=true` in the path.
   */
  readonly consistencyLevel?: "eventual";
}

export interface GraphClient {
  /** GETs one resource; `null` when Graph answers 404. */
  get<T extends z.ZodType>(read: GraphRead, schema: T): Promise<z.output<T> | null>;
  /**
   * GETs a collection and every further page, following `@odata.nextLink` only while it stays
   * on the configured Graph host and path (a link elsewhere is refused, never fetched).
   */
  list<T extends z.ZodType>(read: GraphRead, item: T): Promise<z.output<T>[]>;
}

/**
 * Microsoft Graph reads with app-only tokens, mapped onto Verity's errors: 404 is `null`; 401
 * refreshes the token once; 403 names the missing permission; throttling and 5xx (after the
 * outbound client's retries, which honour Retry-After) become DIRECTORY_UNAVAILABLE.
 */
export function createGraphClient(deps: {
  readonly http: OutboundClient;
  readonly tokens: TokenProvider;
  readonly graphUrl: string;
  readonly loginUrl: string;
  readonly clientId: string;
}): GraphClient {
  const root = new URL(`${deps.graphUrl}/`);

  const fetchJson = async (read: GraphRead, url: string): Promise<unknown> => {
    for (let attempt = 0; ; attempt += 1) {
      const token = await deps.tokens.token(read.tenant);
      let response: OutboundResponse;
      try {
        response = await deps.http.request({
          method: "GET",
          url,
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(read.consistencyLevel === undefined ? {} : { ConsistencyLevel: read.consistencyLevel }),
          },
          retry: "idempotent",
        });
      } catch (error) {
        throw unreachable(SERVICE, error);
      }
      if (response.status === 200) return readJson(response.text);
      if (response.status === 404) return null;
      if (response.status === 401 && attempt === 0) {
        deps.tokens.invalidate(read.tenant);
        continue;
      }
      throw refusal(read, response);
    }
  };

  const refusal = (read: GraphRead, response: OutboundResponse): VerityError => {
    if (response.status === 429 || response.status >= 500) return unavailableAfterRetries(SERVICE, response);
    const envelope = graphErrorSchema.safeParse(readJson(response.text));
    const code = envelope.success ? envelope.data.error.code : `HTTP ${response.status}`;
    const requestId = envelope.success ? envelope.data.error.innerError?.["request-id"] : undefined;
    const details = { graphCode: code, tenant: read.tenant, ...(requestId === undefined ? {} : { requestId }) };
    const context = { loginUrl: deps.loginUrl, clientId: deps.clientId, tenant: read.tenant };
    if (response.status === 403 && code === "Authentication_RequestFromNonPremiumTenantOrB2CTenant") {
      return new VerityError("UPSTREAM_AUTH_FAILED", {
        message: `Microsoft Graph will not return audit logs for tenant ${read.tenant}: reading them needs a Microsoft Entra ID P1 or P2 licence in that tenant (or set recentChangeDays to 0 to turn the check off).`,
        details,
      });
    }
    if (response.status === 401) {
      return new VerityError("UPSTREAM_AUTH_FAILED", {
        message: `Microsoft Graph did not accept Verity's access token for tenant ${read.tenant} (${code}); check that graphUrl (${deps.graphUrl}) is in the same cloud as loginUrl (${deps.loginUrl}).`,
        details,
      });
    }
    if (response.status === 403) {
      return new VerityError("UPSTREAM_AUTH_FAILED", {
        message: `Microsoft Graph refused Verity in tenant ${read.tenant} (${code}): application ${deps.clientId} needs the application permission ${read.permission}, granted with admin consent in that tenant (${adminConsentUrl(context)}).`,
        details,
      });
    }
    return new VerityError(response.status >= 500 ? "DIRECTORY_UNAVAILABLE" : "DIRECTORY_ERROR", {
      message: `Microsoft Graph rejected a request in tenant ${read.tenant} with HTTP ${response.status} (${code}).`,
      details,
    });
  };

  const unreadable = (read: GraphRead): VerityError =>
    new VerityError("DIRECTORY_ERROR", { message: `Microsoft Graph returned an unexpected response in tenant ${read.tenant}.` });

  const onGraphHost = (link: string): boolean => {
    try {
      const url = new URL(link);
      return url.origin === root.origin && url.pathname.startsWith(root.pathname);
    } catch {
      return false;
    }
  };

  return {
    async get(read, schema) {
      const body = await fetchJson(read, `${deps.graphUrl}/v1.0${read.path}`);
      if (body === null) return null;
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw unreadable(read);
      return parsed.data;
    },
    async list(read, item) {
      const page = graphPageSchema(item);
      const items: z.output<typeof item>[] = [];
      let url: string | undefined = `${deps.graphUrl}/v1.0${read.path}`;
      for (let pages = 0; url !== undefined; pages += 1) {
        if (pages === MAX_PAGES) {
          throw new VerityError("DIRECTORY_ERROR", { message: `Microsoft Graph returned more than ${MAX_PAGES} pages; refusing to read further.` });
        }
        const body = await fetchJson(read, url);
        if (body === null) return items;
        const parsed = page.safeParse(body);
        if (!parsed.success) throw unreadable(read);
        items.push(...(parsed.data.value as z.output<typeof item>[]));
        const next = parsed.data["@odata.nextLink"];
        if (next !== undefined && !onGraphHost(next)) {
          throw new VerityError("DIRECTORY_ERROR", {
            message: `Microsoft Graph sent a next-page link outside ${deps.graphUrl}; Verity refused to follow it.`,
          });
        }
        url = next;
      }
      return items;
    },
  };
}

import { z } from "zod";
import { VerityError } from "../../../domain/errors.js";
import type { Clock } from "../../../domain/ports.js";
import { parseJson } from "../../http/json.js";
import type { OutboundResponse } from "../../http/outbound.js";
import type { OktaClient } from "../../okta-shared/okta-client.js";
import { oktaError, rateLimited } from "../../okta-shared/okta-errors.js";
import { createOktaPacer } from "../../okta-shared/okta-pacing.js";
import { asDirectoryError } from "./okta-directory-errors.js";

/**
 * A short wait for a window about to reset is better than refusing the technician. Okta's Date
 * and Reset are whole seconds, so a window "about to reset" can read as up to a second later.
 */
const MAX_PACING_WAIT_MS = 3000;
/** Pages followed for one list; a user in more groups than this many pages hold is cut short. */
const MAX_PAGES = 5;

export interface OktaRead {
  /** A path under the org with its query: `/api/v1/users?search=…`. */
  readonly path: string;
  readonly action: string;
  readonly scope: string;
}

export interface OktaDirectoryReads {
  /** One object; null when Okta answers 404 E0000007 (no such resource). */
  one<T>(read: OktaRead, schema: z.ZodType<T>): Promise<T | null>;
  /** A list, following `Link: <…>; rel="next"` until `max` items or MAX_PAGES pages. */
  list<T>(read: OktaRead, item: z.ZodType<T>, max: number): Promise<T[]>;
}

/**
 * GETs for the directory over the shared Okta client, paced by Okta's X-Rate-Limit headers (a
 * spent budget holds calls back until the window resets, or refuses at once with the wait when
 * that is far), with every failure in the directory's own error codes.
 */
export function createOktaDirectoryReads(client: OktaClient, clock: Clock): OktaDirectoryReads {
  const pacer = createOktaPacer(clock, MAX_PACING_WAIT_MS);

  const paced = async (read: OktaRead): Promise<void> => {
    const waitSeconds = await pacer.ready();
    if (waitSeconds === undefined) return;
    throw new VerityError("DIRECTORY_UNAVAILABLE", {
      message: `Okta's API rate limit is used up; Verity waits for it to reset (about ${waitSeconds} s) before it tries to ${read.action}.`,
      retryAfterSeconds: waitSeconds,
      details: { provider: "okta" },
    });
  };

  // A 429 whose window resets within the pacing wait is waited out and asked once more (a read
  // repeats nothing); a farther reset is refused with the wait.
  const get = async (url: string, read: OktaRead): Promise<OutboundResponse> => {
    for (let attempt = 0; ; attempt += 1) {
      await paced(read);
      const response = await client.send({ method: "GET", url, retry: "idempotent", action: read.action, scope: read.scope });
      pacer.observe(response.headers);
      if (response.status !== 429) return response;
      if (attempt > 0 || (await pacer.ready()) !== undefined) throw rateLimited(response, clock.now().getTime(), read.action);
    }
  };

  const parse = <T>(response: OutboundResponse, schema: z.ZodType<T>, read: OktaRead): T => {
    const parsed = parseJson(schema, response.text);
    if (parsed === undefined) throw new VerityError("DIRECTORY_ERROR", { message: `Okta answered in a form Verity cannot read while it tried to ${read.action}.` });
    return parsed;
  };

  const translated = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw asDirectoryError(error);
    }
  };

  return {
    one: (read, schema) =>
      translated(async () => {
        const response = await get(`${client.orgUrl}${read.path}`, read);
        if (response.status === 404 && (oktaError(response)?.errorCode ?? "E0000007") === "E0000007") return null;
        if (response.status !== 200) throw client.failure(response, read);
        return parse(response, schema, read);
      }),
    list<T>(read: OktaRead, item: z.ZodType<T>, max: number) {
      return translated(async () => {
        const items: T[] = [];
        let url: string | undefined = `${client.orgUrl}${read.path}`;
        for (let page = 0; url !== undefined && page < MAX_PAGES && items.length < max; page += 1) {
          const response = await get(url, read);
          if (response.status !== 200) throw client.failure(response, read);
          items.push(...parse(response, z.array(item), read));
          url = nextLink(response.headers.link, url, client.orgUrl);
        }
        return items.slice(0, max);
      });
    },
  };
}

/**
 * The `rel="next"` URL of a Link header, followed only while it stays on the org and the same
 * path (a tampered header must not send Verity's credentials elsewhere).
 */
export function nextLink(header: string | undefined, current: string, orgUrl: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (match?.[1] === undefined || !/\brel="?next"?/i.test(match[2] ?? "")) continue;
    let next: URL;
    try {
      next = new URL(match[1]);
    } catch {
      return undefined;
    }
    const here = new URL(current);
    if (next.origin !== new URL(orgUrl).origin || next.pathname !== here.pathname || next.username !== "" || next.password !== "") {
      throw new VerityError("DIRECTORY_ERROR", { message: `Verity will not follow Okta's next-page link to ${next.origin}${next.pathname}: it is not the org's own list.` });
    }
    return next.toString();
  }
  return undefined;
}

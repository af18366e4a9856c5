import { z } from "zod";
import { readJson } from "../../http/json.js";
import { VerityError } from "../../../domain/errors.js";

/**
 * What Verity stores for one Okta push (the PushStarted `transactionRef`): the user and factor,
 * and the poll and cancel links exactly as Okta gave them, so polling resumes after a restart
 * and no URL is ever built from parts.
 */
export interface OktaPushRef {
  readonly v: 1;
  readonly userId: string;
  readonly factorId: string;
  readonly poll: string;
  readonly cancel?: string;
}

const refSchema = z.strictObject({
  v: z.literal(1),
  userId: z.string().min(1),
  factorId: z.string().min(1),
  poll: z.string().min(1),
  cancel: z.string().min(1).optional(),
});

/** The opaque `transactionRef` Verity stores for a push (JSON; holds no credentials). */
export function encodePushRef(ref: OktaPushRef): string {
  return JSON.stringify(ref);
}

/**
 * Reads a stored `transactionRef` back.
 * @throws PROVIDER_ERROR when the stored reference is not one this adapter wrote
 */
export function decodePushRef(text: string): OktaPushRef {
  const parsed = refSchema.safeParse(readJson(text));
  if (!parsed.success) throw new VerityError("PROVIDER_ERROR", { message: "This push reference was not written by the Okta provider." });
  const { cancel, ...rest } = parsed.data;
  return cancel === undefined ? rest : { ...rest, cancel };
}

/**
 * Why a `_links` href must not be followed, or null when it may be: it has to be on the
 * configured org (same scheme, host and port; no credentials) and name a transaction of the
 * user and factor Verity challenged. Anything else could turn a tampered answer or a tampered
 * stored reference into a request, with Verity's credentials, to somewhere else.
 */
export function linkProblem(href: string, orgUrl: string, ref: Pick<OktaPushRef, "userId" | "factorId">): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return "it is not an absolute URL";
  }
  const org = new URL(orgUrl);
  if (url.origin !== org.origin) return `it points at ${url.origin}, not the configured org ${org.origin}`;
  if (url.username !== "" || url.password !== "") return "it carries credentials";
  let segments: string[];
  try {
    segments = url.pathname.split("/").map((s) => decodeURIComponent(s));
  } catch {
    return "its path is not valid";
  }
  const [empty, api, version, users, userId, factors, factorId, transactions, transactionId, ...rest] = segments;
  const shaped =
    empty === "" && api === "api" && version === "v1" && users === "users" && factors === "factors" && transactions === "transactions";
  if (!shaped || rest.length > 0 || transactionId === undefined || transactionId === "") return "it is not a factor transaction";
  if (userId !== ref.userId || factorId !== ref.factorId) return "it names another user or factor";
  return null;
}

/** @throws PROVIDER_ERROR naming the refused link's problem */
export function assertFollowable(href: string, orgUrl: string, ref: Pick<OktaPushRef, "userId" | "factorId">, what: string): void {
  const problem = linkProblem(href, orgUrl, ref);
  if (problem !== null) {
    throw new VerityError("PROVIDER_ERROR", {
      message: `Verity will not follow Okta's ${what} link: ${problem}. If the org answers on a custom domain, set orgUrl to the host in Okta's links.`,
      details: { provider: "okta" },
    });
  }
}

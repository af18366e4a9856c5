import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { AssuranceLevel } from "../domain/assurance.js";
import { isVerityError, VerityError } from "../domain/errors.js";
import { parseMethod } from "../domain/methods.js";
import { seal, unseal } from "../domain/sealed.js";
import type { SigninEvidence, TenantSigninBinding } from "../domain/signin.js";
import { statesAccepting, type Verification, type VerificationEvidence } from "../domain/verification.js";
import { findVerification } from "../store/verification-dal.js";
import { callerOrganisation } from "./caller-wording.js";
import { assertFormNonce, CALLER_ACTOR, endCallerLink, liveCallerLink, type LiveLink } from "./caller-link.js";
import { eventBase, type EngineDeps } from "./engine-deps.js";
import { expireIfDue } from "./lifecycle.js";

/** Verity's one redirect URI for caller sign-in, under the caller-link base. */
export const CALLER_SIGNIN_CALLBACK_PATH = "/c/signin/callback";
/** A flow lives at most this long, and never past its link. */
const FLOW_TTL_MS = 10 * 60_000;
const SEAL_CONTEXT = "caller-signin-flow";
const OPEN = statesAccepting("approved");

/** How a completed sign-in ended the verification (what the caller's page says). */
export type CallerSigninOutcome =
  | { readonly outcome: "verified"; readonly assurance: AssuranceLevel }
  | { readonly outcome: "not_phishing_resistant" }
  | { readonly outcome: "wrong_user" };

const sealedFlow = z.object({
  v: z.string().max(64),
  h: z.string().max(200),
  exp: z.number(),
  f: z.object({
    provider: z.string(),
    issuer: z.string(),
    state: z.string(),
    nonce: z.string(),
    codeVerifier: z.string(),
    ask: z.union([
      z.object({ protocol: z.literal("entra"), tenantId: z.string(), authContext: z.string() }),
      z.object({ protocol: z.literal("okta"), acrValues: z.string() }),
    ]),
  }),
});

function signinOf(deps: EngineDeps, v: Verification): TenantSigninBinding {
  const binding = deps.tenants.get(v.tenantId)?.methods.get(v.method);
  const signin = binding !== undefined && "services" in binding ? binding.services.signin : undefined;
  if (signin === undefined) throw new VerityError("CALLER_SIGNIN_UNAVAILABLE", { message: "Sign-in verification is not set up for this organisation.", details: { reason: `${v.method} has no sign-in service` } });
  return signin;
}

/**
 * The caller pressed "Sign in": checks the live link and its page's nonce, and returns the
 * provider's authorization URL and the flow sealed for a cookie (AES-GCM under the key ring's seal
 * key), bound to this verification and the link's token hash. Nothing is stored and the link is
 * not spent: a preview bot or a second tab gains nothing, and the caller may start again.
 * @throws LINK_NOT_VALID, CSRF_REJECTED, CALLER_SIGNIN_UNAVAILABLE
 */
export async function beginCallerSignin(deps: EngineDeps, ref: string, nonce: unknown): Promise<{ url: string; cookie: string; maxAgeSeconds: number; organisation: string }> {
  const live = await liveCallerLink(deps, ref, ["signin"]);
  assertFormNonce(deps, live, nonce);
  const { v } = live;
  const signin = signinOf(deps, v);
  if (deps.callerLinkBase === undefined) throw new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason: "no caller-link base (server.publicUrl)" } });
  const user = await deps.tenants.get(v.tenantId)?.directory.findUser(v.subjectId);
  if (user === undefined || user === null) throw new VerityError("CALLER_SIGNIN_UNAVAILABLE", { details: { reason: "the caller is no longer in the directory" } });
  const { url, flow } = await signin.provider.begin({ redirectUri: `${deps.callerLinkBase}${CALLER_SIGNIN_CALLBACK_PATH}`, loginHint: user.upn, tenant: signin.tenant });
  const now = deps.clock.now().getTime();
  const exp = Math.min(now + FLOW_TTL_MS, Date.parse(v.expiresAt));
  await deps.audit.append([{ ...eventBase(v, CALLER_ACTOR), action: "signin.started", data: { provider: signin.provider.name } }]);
  const tenant = deps.tenants.get(v.tenantId);
  return {
    url,
    cookie: seal(deps.keys.seal, JSON.stringify({ v: v.id, h: live.hash, exp, f: flow }), SEAL_CONTEXT),
    maxAgeSeconds: Math.max(1, Math.floor((exp - now) / 1000)),
    organisation: (tenant === undefined ? null : callerOrganisation(tenant, { organisation: user.organisation ?? null })) ?? "your organisation",
  };
}

const sameHash = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The live link the sealed flow names: same verification, same token hash, still open. */
async function liveFromFlow(deps: EngineDeps, id: string, hash: string): Promise<LiveLink | undefined> {
  const found = await findVerification(deps.db, id);
  if (found === undefined || found.codeHash === null || !sameHash(found.codeHash, hash) || parseMethod(found.method).kind !== "signin") return undefined;
  const v = await expireIfDue(deps, found);
  return OPEN.includes(v.state) && v.codeHash !== null ? { v, hash, kind: "signin" } : undefined;
}

const recordOf = (e: SigninEvidence, assurance: AssuranceLevel): VerificationEvidence => ({
  assurance,
  signIn: { provider: e.provider, issuer: e.issuer, authTime: e.authTime, ...(e.acr === null ? {} : { acr: e.acr }), acrs: e.acrs, amr: e.amr, phishingResistant: e.phishingResistant },
});

/**
 * The provider sent the caller back. Opens the sealed flow (refused if missing, tampered, expired
 * or for a link no longer live), has the provider's answer validated, and ends the verification
 * through endCallerLink, which spends the link once: the right person verified (at
 * phishing-resistant, or lower where the tenant accepts it), a weaker sign-in rejected as
 * not_phishing_resistant, someone else's sign-in rejected as fraud. Any other refusal (a replay, a
 * forged or foreign token, an old session, the provider's error) is audited as `signin.refused`
 * and leaves the link live, so the caller can try again.
 * @throws CALLER_SIGNIN_FLOW_INVALID, CALLER_SIGNIN_REJECTED, CALLER_SIGNIN_UNAVAILABLE, LINK_NOT_VALID
 */
export async function finishCallerSignin(deps: EngineDeps, cookie: string | undefined, query: string): Promise<CallerSigninOutcome> {
  // The redirect URI is Verity's one registered address, whatever Host the answer arrived under.
  const callbackUrl = new URL(`${deps.callerLinkBase ?? "http://invalid"}${CALLER_SIGNIN_CALLBACK_PATH}`);
  callbackUrl.search = query.slice(0, 8192);
  const opened = cookie === undefined || cookie.length > 8192 ? null : unseal(deps.keys.seal, cookie, SEAL_CONTEXT);
  let parsed: z.infer<typeof sealedFlow> | undefined;
  try {
    parsed = opened === null ? undefined : sealedFlow.parse(JSON.parse(opened));
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.exp <= deps.clock.now().getTime()) {
    const reason = cookie === undefined ? "no sign-in flow cookie" : parsed === undefined ? "sign-in flow cookie not valid" : "sign-in flow expired";
    await deps.audit.append([{ actor: CALLER_ACTOR, action: "signin.refused", outcome: "refused", reason: "flow_invalid", data: { detail: reason } }]);
    throw new VerityError("CALLER_SIGNIN_FLOW_INVALID", { details: { reason } });
  }
  const live = await liveFromFlow(deps, parsed.v, parsed.h);
  if (live === undefined) {
    await deps.audit.append([{ actor: CALLER_ACTOR, action: "signin.refused", outcome: "refused", reason: "link_not_valid", verificationId: parsed.v }]);
    throw new VerityError("LINK_NOT_VALID");
  }
  const { v } = live;
  const signin = signinOf(deps, v);
  const provider = signin.provider.name;
  let evidence: SigninEvidence;
  try {
    evidence = await signin.provider.finish(callbackUrl, parsed.f, { userId: v.subjectId, startedAt: new Date(v.createdAt), requirePhishingResistant: signin.requirePhishingResistant });
  } catch (error) {
    if (!isVerityError(error)) throw error;
    const details = (error.details ?? {}) as { reason?: unknown; detail?: unknown; subject?: unknown; evidence?: unknown };
    const reason = typeof details.reason === "string" ? details.reason : error.code;
    if (error.code === "CALLER_SIGNIN_REJECTED" && reason === "wrong_user") {
      const subject = typeof details.subject === "string" ? details.subject : "unknown";
      await endCallerLink(deps, live, { event: "denied", reason: "fraud", action: "signin.wrong_user", outcome: "rejected", by: `someone else (${subject}) signed in at ${provider}`, data: { provider, signedInAs: subject } });
      return { outcome: "wrong_user" };
    }
    if (error.code === "CALLER_SIGNIN_REJECTED" && reason === "not_phishing_resistant" && typeof details.evidence === "object" && details.evidence !== null) {
      const weak = details.evidence as SigninEvidence;
      await endCallerLink(deps, live, { event: "denied", reason: "not_phishing_resistant", action: "signin.rejected", outcome: "rejected", by: `${v.subjectName} (signed in at ${provider})`, evidence: recordOf(weak, "possession") });
      return { outcome: "not_phishing_resistant" };
    }
    await deps.audit.append([
      { ...eventBase(v, CALLER_ACTOR), action: "signin.refused", outcome: "refused", reason, data: { provider, code: error.code, ...(typeof details.detail === "string" ? { detail: details.detail } : {}) } },
    ]);
    throw error;
  }
  // A sign-in that is not phishing-resistant, where the tenant accepts it, rests on what the
  // person knows or holds at their provider: counted at the lowest level, never above it.
  const assurance: AssuranceLevel = evidence.phishingResistant ? "phishing-resistant" : "possession";
  await endCallerLink(deps, live, { event: "approved", reason: "signed_in", action: "signin.verified", outcome: "verified", by: `${v.subjectName} (signed in at ${provider})`, evidence: recordOf(evidence, assurance) });
  return { outcome: "verified", assurance };
}

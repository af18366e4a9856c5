import { findVerification, findVerificationByProviderRef } from "../store/verification-dal.js";
import { VerityError } from "../domain/errors.js";
import { DEFAULT_PUSH_POLL_MS, type TicketContact } from "../domain/ports.js";
import { assertCanRead, assertTenantAccess, type Actor } from "./actor.js";
import { abandonWaiting } from "./start-resume.js";
import { findTicketVerification } from "./ticket-binding.js";
import { answerApproval, type ApprovalAnswer, type ApprovalOutcome } from "./approval.js";
import { answerCallerLink, openCallerLink, type CallerAnswer, type CallerLinkPage, type CallerOutcome } from "./caller-link.js";
import { beginCallerSignin, finishCallerSignin, type CallerSigninOutcome } from "./caller-signin.js";
import { checkVerification } from "./check-verification.js";
import { confirmVerification, recordDeliveryStatus, type DeliveryStatus } from "./confirm-and-status.js";
import { loadVerification, type EngineDeps } from "./engine-deps.js";
import { createHistory, type Evidence, type HistoryFilter, type HistoryPage, type HistoryScope } from "./history.js";
import { cancelVerification, expireDue, expireIfDue, resendVerification } from "./lifecycle.js";
import { lookupUser, type UserLookupView } from "./lookup.js";
import { ticketCaller, type TicketCaller } from "./ticket-caller.js";
import { searchCallers, type SearchResult } from "./search.js";
import { createPushPoller, type PushPoller } from "./push-poller.js";
import type { IdentityProofingService, PresentationCallback } from "../domain/face-check.js";
import { faceCheckCallback, startFaceCheck, type CallbackResult, type FaceCheckStart } from "./face-check.js";
import { startVerification, type StartInput, type StartOptions } from "./start-verification.js";
import { presentVerification, type VerificationView } from "./views.js";

export interface CheckView {
  readonly outcome: "verified" | "incorrect" | "rejected";
  readonly attemptsRemaining: number;
  readonly verification: VerificationView;
}

/** Everything a technician can do, whoever asks: the HTTP API, the CLI, an integration. */
export interface VerificationEngine {
  start(actor: Actor, input: StartInput, options?: StartOptions): Promise<VerificationView>;
  get(actor: Actor, id: string): Promise<VerificationView>;
  check(actor: Actor, id: string, code: unknown): Promise<CheckView>;
  resend(actor: Actor, id: string): Promise<VerificationView>;
  cancel(actor: Actor, id: string, reason: string | null): Promise<VerificationView>;
  /** Reveal mode: the technician says whether the code the caller read matches the one shown. */
  confirm(actor: Actor, id: string, matched: boolean): Promise<VerificationView>;
  /** A provider's delivery report for the message it knows as `providerRef`; false if unknown. */
  deliveryStatus(providerRef: string, status: DeliveryStatus, errorCode: number | null): Promise<boolean>;
  lookup(actor: Actor, query: string, tenantId?: string): Promise<UserLookupView>;
  /** Who a ticket is for, read from its ticketing system (what a PSA link opens `/verify` with). See ticketCaller. */
  ticketCaller(actor: Actor, system: string, ticket: string): Promise<TicketCaller>;
  /** Callers whose name, UPN, mail or ids contain the query, across the actor's tenants. */
  search(actor: Actor, query: string): Promise<SearchResult>;
  /**
   * Calls `listener` with the current view, then on every change until the returned function is
   * called. Changes from this process arrive at once; from other processes within `pollMs`.
   */
  watch(actor: Actor, id: string, listener: (view: VerificationView) => void, pollMs?: number): Promise<() => void>;
  /** Expires open verifications past their deadline. */
  expireDue(): Promise<number>;
  /**
   * The verification a ticketing system's action on `ticket` refers to: the newest one of the
   * ticket's own contact, started for that system. See findTicketVerification.
   */
  findForTicket(actor: Actor, query: { tenantId: string; system: string; ticket: string; contact: TicketContact }): Promise<VerificationView>;
  /** An integration gave up on a start: a verification it left waiting for the ticketing system fails. */
  abandonWaiting(idempotencyKey: string, reason: string): Promise<VerificationView | null>;
  /** History: the verifications the actor may see that match `filter`, newest first, a page at a time. */
  list(actor: Actor, filter: HistoryFilter): Promise<HistoryPage>;
  /** Every verification `list` would show, page after page (for CSV); a bad filter throws at once. */
  streamList(actor: Actor, filter: HistoryFilter): AsyncIterable<VerificationView>;
  /** A verification the actor may see in history, with every audit event about it in chain order. */
  evidence(actor: Actor, id: string): Promise<Evidence>;
  /** The caller's confirmation-link page (no sign-in: the link is the credential). See openCallerLink. */
  openLink(ref: string): Promise<CallerLinkPage>;
  /** The caller's one answer on that page. See answerCallerLink. */
  answerLink(ref: string, nonce: unknown, answer: CallerAnswer): Promise<CallerOutcome>;
  /** The caller pressed "Open Microsoft Authenticator" on a Face Check page. See startFaceCheck. */
  startFaceCheck(ref: string, nonce: unknown): Promise<FaceCheckStart>;
  /** A Verified ID callback that `service` authenticated. See faceCheckCallback. */
  faceCheckCallback(service: IdentityProofingService, callback: PresentationCallback): Promise<CallbackResult>;
  /** The manager's one answer on a manager-approval page. See answerApproval. */
  answerApproval(ref: string, nonce: unknown, answer: ApprovalAnswer): Promise<ApprovalOutcome>;
  /** A sign-in link's button: the provider's URL and the sealed flow for a cookie. See beginCallerSignin. */
  beginSignin(ref: string, nonce: unknown): Promise<{ url: string; cookie: string; maxAgeSeconds: number; organisation: string }>;
  /** The provider's answer at the one redirect URI. See finishCallerSignin. */
  finishSignin(cookie: string | undefined, query: string): Promise<CallerSigninOutcome>;
  readonly pushes: PushPoller;
}

export function createVerificationEngine(deps: EngineDeps, options: { pushPollMs?: number; technicianHistory?: HistoryScope } = {}): VerificationEngine {
  // Under a second between polls, so an answer reaches the technician within a second.
  const pushes = createPushPoller(deps, { defaultIntervalMs: options.pushPollMs ?? DEFAULT_PUSH_POLL_MS });
  const full = { ...deps, pushes };
  const present = (v: Parameters<typeof presentVerification>[1]) => presentVerification(deps, v);
  const history = createHistory(deps, options.technicianHistory ?? "own");

  return {
    pushes,
    list: history.list,
    streamList: history.streamList,
    evidence: history.evidence,
    async start(actor, input, options) {
      return present(await startVerification(full, actor, input, options));
    },
    async get(actor, id) {
      const v = await loadVerification(deps, id);
      assertCanRead(actor, v);
      return present(await expireIfDue(deps, v));
    },
    async check(actor, id, code) {
      const result = await checkVerification(deps, actor, id, code);
      return { outcome: result.outcome, attemptsRemaining: result.attemptsRemaining, verification: await present(result.verification) };
    },
    async resend(actor, id) {
      return present(await resendVerification(full, actor, id));
    },
    async cancel(actor, id, reason) {
      return present(await cancelVerification(deps, actor, id, reason));
    },
    async confirm(actor, id, matched) {
      return present(await confirmVerification(deps, actor, id, matched));
    },
    async deliveryStatus(providerRef, status, errorCode) {
      const v = await findVerificationByProviderRef(deps.db, providerRef);
      if (v === undefined) return false;
      await recordDeliveryStatus(deps, v, status, errorCode);
      return true;
    },
    lookup: (actor, query, tenantId) => lookupUser(deps, actor, query, tenantId),
    ticketCaller: (actor, system, ticket) => ticketCaller(deps, actor, system, ticket),
    search: (actor, query) => searchCallers(deps, actor, query),
    async watch(actor, id, listener, pollMs = 1000) {
      const first = await loadVerification(deps, id);
      assertCanRead(actor, first);
      let lastVersion = 0;
      let closed = false;
      const emit = async (v: typeof first) => {
        if (closed || v.version <= lastVersion) return;
        lastVersion = v.version;
        listener(await present(v));
      };
      await emit(await expireIfDue(deps, first));
      const unsubscribe = deps.bus.subscribe(id, (v) => void emit(v));
      const timer = setInterval(() => {
        void findVerification(deps.db, id)
          .then((v) => (v === undefined ? undefined : expireIfDue(deps, v)))
          .then((v) => (v === undefined ? undefined : emit(v)))
          .catch((error: unknown) => deps.log.warn({ err: error, verificationId: id }, "watch poll failed"));
      }, pollMs);
      timer.unref();
      return () => {
        closed = true;
        unsubscribe();
        clearInterval(timer);
      };
    },
    expireDue: () => expireDue(deps),
    openLink: (ref) => openCallerLink(deps, ref),
    answerLink: (ref, nonce, answer) => answerCallerLink(deps, ref, nonce, answer),
    startFaceCheck: (ref, nonce) => startFaceCheck(deps, ref, nonce),
    faceCheckCallback: (service, callback) => faceCheckCallback(deps, service, callback),
    answerApproval: (ref, nonce, answer) => answerApproval(deps, ref, nonce, answer),
    beginSignin: (ref, nonce) => beginCallerSignin(deps, ref, nonce),
    finishSignin: (cookie, query) => finishCallerSignin(deps, cookie, query),
    async findForTicket(actor, query) {
      const tenant = deps.tenants.get(query.tenantId);
      if (tenant === undefined) throw new VerityError("TENANT_NOT_FOUND");
      assertTenantAccess(actor, tenant.id);
      const v = await findTicketVerification(deps, tenant, query);
      assertCanRead(actor, v);
      return present(v);
    },
    async abandonWaiting(idempotencyKey, reason) {
      const v = await abandonWaiting(deps, idempotencyKey, reason);
      return v === null ? null : present(v);
    },
  };
}

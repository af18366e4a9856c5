import type { AnchorRecord } from "./audit-anchor.js";
import type { CodeChannel } from "./methods.js";
import type { NormalisedPhone } from "./phone.js";

/** Time comes from here, never from `new Date()` in domain or services, so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

// ---------------------------------------------------------------------------------------------
// Connection tests

/**
 * What a connection test (`probe`, optional on Directory, MessageChannel, PushProvider and
 * TicketingSystem) found. A probe makes one harmless call (a token fetch, a read, a lookup of no
 * one), never a send or a push, and never rejects: bad credentials, a missing permission, an
 * unreachable host or a refused TLS certificate come back as `ok: false`. `detail` is written for
 * the administrator who pressed "Test connection": what was checked and, when something is wrong,
 * what and where to fix it. It never holds a secret, a code or a full phone number.
 */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

// ---------------------------------------------------------------------------------------------
// Directory

export const PHONE_TYPES = ["mobile", "alternateMobile", "office"] as const;
export type PhoneType = (typeof PHONE_TYPES)[number];

export interface DirectoryPhone {
  readonly type: PhoneType;
  readonly phone: NormalisedPhone;
}

/** A factor the directory lists but Verity cannot use, with the reason (shown to technicians). */
export interface UnusableFactor {
  readonly type: string;
  readonly reason: string;
}

/** A caller's directory entry with the factors registered for them. */
export interface DirectoryUser {
  /** The directory's immutable id (Entra object id, or the file's `id`). */
  readonly id: string;
  readonly upn: string;
  readonly displayName: string;
  readonly phones: readonly DirectoryPhone[];
  /** Registered alternate (security) email addresses; never the mailbox the caller may have lost. */
  readonly emails: readonly string[];
  readonly groups: readonly string[];
  readonly privileged: boolean;
  /** This user's id at each push/passcode provider, keyed by provider kind (`vip`, `duo`…). */
  readonly providerIds: Readonly<Record<string, string>>;
  readonly unusable: readonly UnusableFactor[];
  /** The primary mail address when the directory has one (may differ from the UPN). */
  readonly mail?: string | null;
  /**
   * Further addresses of the account's own mailbox (aliases, proxy addresses), when the directory
   * reads them. Like the UPN and `mail`, they never receive a code (services/targets.ts).
   */
  readonly mailboxAddresses?: readonly string[];
  /** The on-premises account name (sAMAccountName), which providers such as VIP often use. */
  readonly samAccountName?: string | null;
  /**
   * The display name of the caller's organisation as the directory knows it (Entra: the tenant's
   * `organization.displayName`; a directory file: its `organisation`), or null when unknown.
   */
  readonly organisation?: string | null;
  /**
   * The caller's manager as the directory records it (Entra's `manager` reference, a directory
   * file's `manager` field, Okta's `profile.managerId` when it names a user of the org), absent
   * when none is set or it could not be resolved. Use `usableManager` (domain/manager.ts) before
   * sending anything: a manager without an address, or whose address is the caller's own, is no
   * manager for approval.
   */
  readonly manager?: DirectoryManager;
}

/** A user's manager: who they are and where they read mail. */
export interface DirectoryManager {
  /** The manager's id in the same directory (the same form as `DirectoryUser.id`). */
  readonly id: string;
  readonly displayName: string;
  /** The manager's own mailbox (Entra `mail`, the file's `mail` or `upn`, Okta `profile.email`), or null. */
  readonly email: string | null;
}

export interface RiskSignal {
  /** Stable machine name, e.g. `privileged`, `recent_security_info_change`. */
  readonly code: string;
  /** A sentence for the technician and the ticket. */
  readonly detail: string;
}

/** Where callers and their factors are looked up: one per tenant. */
export interface Directory {
  /**
   * Finds a user by directory id, UPN or email, or by an id a technician types from habit (the
   * on-premises account name, a provider's user id), case-insensitively. Never guesses between
   * users: a query that names more than one is refused.
   * @returns the user, or `null` when the directory has no such user.
   * @throws VerityError USER_AMBIGUOUS when the query matches more than one user.
   * @throws VerityError DIRECTORY_UNAVAILABLE when the directory cannot answer.
   */
  findUser(query: string): Promise<DirectoryUser | null>;
  /** Signals the tenant's policy weighs (recent factor changes, privileged roles). */
  riskSignals(user: DirectoryUser): Promise<RiskSignal[]>;
  /**
   * Users matching `query` by name, UPN, mail, account name or provider id, for search as a
   * technician types; at most `limit`. Each directory matches in its own way: a file wants every
   * word of `query` contained (case-insensitive); Entra uses Graph's `$search` (each word a prefix
   * of a word of the display name, or mail and UPN by prefix) and the exact account name; Okta
   * uses its `search=` expressions (names, email and login by prefix). Absent where the directory
   * cannot search.
   *
   * Search results carry identity only (`id`, `upn`, `displayName`, `mail`, `samAccountName`,
   * `providerIds`, `organisation` when known). A directory may return `phones`, `emails`,
   * `groups` and `unusable` empty and `privileged` false without having read them (Entra does,
   * so that a search is one or two Graph calls, not one per user): look the picked user up with
   * `findUser(user.id)` before showing factors, privilege or risk, or sending anything.
   * @throws VerityError SEARCH_NEEDS_EMAIL when the directory cannot tell from `query` which of its tenants to search (an Entra catch-all).
   * @throws VerityError SEARCH_QUERY_UNSUPPORTED for text the directory cannot search for.
   * @throws VerityError DIRECTORY_UNAVAILABLE when the directory cannot answer.
   */
  search?(query: string, limit: number): Promise<DirectoryUser[]>;
  /** A connection test (see ProbeResult). */
  probe?(): Promise<ProbeResult>;
}

// ---------------------------------------------------------------------------------------------
// Channels that carry Verity's own codes

export interface OutboundMessage {
  readonly channel: CodeChannel;
  /** E.164 number or email address, taken from the directory only. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly verificationId: string;
  readonly tenantId: string;
}

export interface DeliveryReceipt {
  /** The provider's id for the message (a Twilio SID, an SMTP queue id…), if any. */
  readonly providerRef?: string;
}

/**
 * Delivers a message over one or more code channels.
 *
 * `send` resolves once the provider accepted the message. It rejects with VerityError
 * CHANNEL_REJECTED (the provider refused; nothing was sent), CHANNEL_UNAVAILABLE (known not
 * sent) or DELIVERY_UNKNOWN (the request may have been processed: never resend on our own).
 */
export interface MessageChannel {
  readonly name: string;
  /** Channels that exist only for development say so everywhere they appear. */
  readonly developmentOnly: boolean;
  readonly channels: readonly CodeChannel[];
  send(message: OutboundMessage): Promise<DeliveryReceipt>;
  /**
   * What the provider knows about a destination before anything is sent to it (line type, a
   * recent SIM swap…), as risk signals for the tenant's policy. Runs beside the directory's risk
   * reads. Never rejects: a check that cannot be made is itself a signal.
   */
  assess?(destination: { readonly channel: CodeChannel; readonly to: string }): Promise<RiskSignal[]>;
  /** A connection test (see ProbeResult); never sends a message. */
  probe?(): Promise<ProbeResult>;
}

// ---------------------------------------------------------------------------------------------
// Providers that prove possession themselves (push approval, provider-checked passcodes)

export interface PushContext {
  readonly organisation: string;
  readonly technician: string;
  readonly ticket: string | null;
}

export interface PushRequest {
  readonly verificationId: string;
  readonly tenantId: string;
  readonly user: DirectoryUser;
  /** The user's id at the provider, from the tenant's mapping rule. */
  readonly providerUserId: string;
  readonly title: string;
  readonly message: string;
  readonly context: PushContext;
  readonly timeoutSeconds: number;
}

export interface PushStarted {
  /** Opaque to Verity; stored so polling can resume after a restart. */
  readonly transactionRef: string;
  /** A number the technician reads to the caller, when the provider uses number matching. */
  readonly numberChallenge?: string;
}

/**
 * `failed`: the provider ended the push without the caller answering it, for a reason someone has
 * to fix (a blocked or bypassed account, a missing registration). Never an approval, and never
 * reported as the caller's denial.
 */
export type PushOutcome = "waiting" | "approved" | "denied" | "fraud" | "timeout" | "failed";

export interface PushStatus {
  readonly outcome: PushOutcome;
  /** Provider wording, safe to show and store. */
  readonly detail?: string;
  /** A provider that long-polls asks for the next poll at once (0). */
  readonly nextPollAfterMs?: number;
}

export interface PasscodeRequest {
  readonly verificationId: string;
  readonly tenantId: string;
  readonly user: DirectoryUser;
  readonly providerUserId: string;
  readonly passcode: string;
}

/** What a user has at a push/passcode provider, as the provider reports it. */
export interface ProviderUserInfo {
  /** The provider knows this user. */
  readonly exists: boolean;
  readonly push: boolean;
  readonly passcode: boolean;
  /** Devices or credentials, named so a technician recognises them; never a full number. */
  readonly devices: readonly string[];
  /** Why push or passcode is unavailable (not enrolled, locked out, denied by policy…). */
  readonly detail: string | null;
}

/**
 * A push/passcode provider. `pollPush` never reports approval it did not see: a transport error
 * rejects with PROVIDER_UNAVAILABLE or PROVIDER_ERROR and the engine keeps polling until its
 * deadline.
 */
/**
 * How often a waiting push is polled when its provider names no interval: an answer is seen
 * within this long (issue 13: p95 ≤ 300 ms for polled providers).
 */
export const DEFAULT_PUSH_POLL_MS = 250;

export interface PushProvider {
  readonly name: string;
  readonly kind: string;
  readonly developmentOnly: boolean;
  /** How often to poll a waiting push (default DEFAULT_PUSH_POLL_MS); providers that long-poll say 0. */
  readonly pollIntervalMs?: number;
  startPush(request: PushRequest): Promise<PushStarted>;
  pollPush(transactionRef: string): Promise<PushStatus>;
  cancelPush(transactionRef: string): Promise<void>;
  /** Absent when the provider cannot check passcodes. */
  checkPasscode?(request: PasscodeRequest): Promise<{ readonly valid: boolean; readonly detail?: string }>;
  /**
   * What the user can do at the provider (Duo preauth, Okta factors, VIP credentials). Absent when
   * the provider cannot say in advance; then a push to an unenrolled user fails at startPush.
   */
  describeUser?(request: { readonly providerUserId: string; readonly user: DirectoryUser; readonly tenantId: string }): Promise<ProviderUserInfo>;
  /** A connection test (see ProbeResult); never sends a push. */
  probe?(): Promise<ProbeResult>;
}

// ---------------------------------------------------------------------------------------------
// Ticketing systems (PSAs) that receive the evidence as internal notes

/** Who a ticket is for, as the PSA records it: the only source Verity trusts for that. */
export interface TicketContact {
  /** The contact's email address in the PSA, if it has one. */
  readonly email: string | null;
  /** The contact's directory object id, where the PSA keeps one (HaloPSA's `azureoid`). */
  readonly directoryId: string | null;
  readonly name: string | null;
}

/**
 * A ticketing system (PSA or ITSM) that takes internal notes. Every system Verity speaks fits this
 * one shape; nothing in the engine knows a vendor.
 *
 * `addPrivateNote` rejects with TICKETING_UNAVAILABLE (retryable), TICKETING_ERROR,
 * TICKET_NOT_FOUND or UPSTREAM_AUTH_FAILED; `details.ambiguous` says the note may have been
 * created although the call failed.
 */
export interface TicketingSystem {
  /** The configured name (`ticketing.<name>`). */
  readonly name: string;
  /** The product, as people call it: `HaloPSA`, `ConnectWise PSA`, `ServiceNow`. */
  readonly vendor: string;
  /**
   * The ticket's contact (end user, caller, requester, reporter), read from the system itself,
   * never from what a trigger claims.
   * @throws VerityError TICKET_NOT_FOUND, TICKETING_UNAVAILABLE (retryable), TICKETING_ERROR or UPSTREAM_AUTH_FAILED
   */
  ticketContact(ticket: string): Promise<TicketContact>;
  /**
   * Posts an internal note the end user cannot see. `html` is Verity's note (a few simple tags:
   * p, b, ul, li, a, br, small); a system without HTML notes converts it to its own markup or
   * plain text (`htmlToText`), keeping every word, the audit hash and the marker.
   */
  addPrivateNote(note: { readonly ticket: string; readonly html: string }): Promise<void>;
  /** Whether a note containing `marker` is on the ticket already; null when the system cannot tell. */
  hasNoteWith(ticket: string, marker: string): Promise<boolean | null>;
  /**
   * The name of the agent (technician, member, resource) a trigger names by the system's id, for
   * "Requested by"; null when unknown. Never a proof of who pressed.
   */
  agentName?(agent: string): Promise<string | null>;
  /** A connection test (see ProbeResult); never writes to a ticket. */
  probe?(): Promise<ProbeResult>;
}

/** Headers as Node and Fastify give them; names lower-case. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** An inbound trigger request as it arrived: nothing in it is parsed or trusted yet. */
export interface TriggerRequest {
  readonly headers: RequestHeaders;
  /** The body's bytes, exactly as sent (signatures are computed over them). */
  readonly rawBody: Buffer;
  /** The query string's parameters (ConnectWise appends `recordId`, say). */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The sender's address (after trusted proxies), for `allowedSources`. */
  readonly ip: string;
  readonly receivedAt: Date;
}

/**
 * One "verify this ticket's caller" request from a system's trigger. Only the ticket reference is
 * acted on, and only after the system itself says who the ticket is for.
 */
export interface TriggerEvent {
  /** The system's id for this delivery, or one derived from it: a replay of it does nothing. */
  readonly deliveryId: string;
  readonly ticket: string;
  /**
   * When the system raised it; null when the payload should carry a time and does not (refused:
   * freshness cannot be told). Systems that send no time report the receipt time and rely on
   * their signature and the delivery id.
   */
  readonly raisedAt: Date | null;
  /** The agent the trigger names, by the system's id: shown as "Requested by", never trusted. */
  readonly agent: string | null;
  /** The contact's email if the trigger carried it: only a hint that lets reads start early. */
  readonly emailHint: string | null;
}

/** A code a technician typed into the ticketing system, for the verification on that ticket. */
export interface TriggerConfirm {
  readonly ticket: string;
  readonly code: string;
  readonly agent: string | null;
}

/**
 * How a ticketing system asks Verity to verify a ticket's caller: an inbound webhook or callback,
 * authenticated in the system's own way (a signature, Basic credentials, a shared secret).
 */
export interface TicketTrigger {
  /**
   * Checks the request comes from the system, before its body is parsed.
   * @throws VerityError WEBHOOK_SIGNATURE_INVALID (or SOURCE_NOT_ALLOWED, WEBHOOK_TIMESTAMP_INVALID)
   */
  authenticate(request: TriggerRequest): Promise<void>;
  /**
   * The events an authenticated request carries (usually one).
   * @throws VerityError VALIDATION_FAILED or INVALID_JSON naming the problem without echoing values
   */
  parse(request: TriggerRequest): readonly TriggerEvent[];
  /** A confirm action's body (a code typed into the system), where the system has one. */
  parseConfirm?(request: TriggerRequest): TriggerConfirm;
  /**
   * Extra paths the trigger answers on, besides `/hooks/ticketing/<name>` (HaloPSA's
   * `/hooks/halopsa`, kept for installed webhooks). A confirm action lives at `<path>/confirm`.
   */
  readonly aliases?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Audit anchors

/**
 * A place outside the database that keeps the audit chain's head (a file, a webhook receiver,
 * syslog). `write` resolves once the sink has taken the anchor and rejects otherwise; the caller
 * retries later, so a sink never retries for long on its own. Writing the same anchor twice is
 * harmless.
 */
export interface AnchorSink {
  readonly kind: string;
  /** Names the sink in logs and output without its secrets: a path, a URL's origin, host:port. */
  readonly label: string;
  write(anchor: AnchorRecord): Promise<void>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Request limits

/**
 * Counts requests per key in fixed one-minute windows for the HTTP request limits. One
 * implementation keeps the counts in this process (one instance, SQLite); another keeps them in
 * PostgreSQL so that instances behind one balancer share them. Keys name a bucket (`addr:…`,
 * `token:…`); an implementation that stores them keeps no address or id in clear.
 */
export interface RequestCounter {
  /** Whether the counts are shared with other instances (then `add` costs a database round trip). */
  readonly shared: boolean;
  /**
   * Adds one request to `key` in the window that starts at `windowStart` (epoch ms, a whole
   * minute) and resolves to the window's count so far, this request included.
   * @throws when the counts cannot be reached (a shared store that is down); the caller decides
   */
  add(key: string, windowStart: number): Promise<number>;
  /** Forgets every window that started before `before` (epoch ms); resolves to how many it dropped. */
  forgetBefore(before: number): Promise<number>;
}

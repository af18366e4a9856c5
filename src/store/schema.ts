/**
 * Table shapes shared by SQLite and PostgreSQL. Times are ISO-8601 UTC strings of fixed width
 * (`2026-11-23T05:26:00.000Z`) so they compare correctly as text in both databases; JSON is
 * stored as text. Integers are plain numbers on both (PostgreSQL int8 is parsed to number).
 */
import type { Generated } from "kysely";

export interface Database {
  verifications: VerificationRow;
  audit_events: AuditEventRow;
  audit_head: AuditHeadRow;
  audit_pending: AuditPendingRow;
  api_tokens: ApiTokenRow;
  jobs: JobRow;
  webhook_deliveries: WebhookDeliveryRow;
  send_log: SendLogRow;
  users: UserRow;
  web_sessions: WebSessionRow;
  auth_flows: AuthFlowRow;
  notification_disabled: NotificationDisabledRow;
  rate_limit_windows: RateLimitWindowRow;
}

export interface VerificationRow {
  id: string;
  tenant_id: string;
  subject_id: string;
  subject_name: string;
  method: string;
  state: string;
  state_reason: string | null;
  technician: string;
  created_by: string;
  ticket: string | null;
  /** The ticketing system (configured name) the ticket is in; null without a ticket or a system. */
  ticket_system: string | null;
  /** When that system confirmed the ticket is the caller's; null until it has. */
  ticket_confirmed_at: string | null;
  reason: string | null;
  code_hash: string | null;
  code_length: number | null;
  attempts: number;
  max_attempts: number;
  sends: number;
  destination_masked: string | null;
  destination_hash: string | null;
  provider_ref: string | null;
  challenge: string | null;
  /** JSON {title, message} when the technician worded the push themselves. */
  prompt: string | null;
  /** The idempotency key of an integration's start (e.g. a HaloPSA delivery); null otherwise. */
  origin: string | null;
  risk: string;
  /** JSON VerificationEvidence; null unless a caller-page method recorded some (migration 0011). */
  evidence: string | null;
  /** The instance polling this push, and until when its lease holds (migration 0012). */
  poll_owner: string | null;
  poll_lease_until: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
  completed_at: string | null;
  version: number;
}

export interface AuditEventRow {
  seq: number;
  id: string;
  at: string;
  tenant_id: string | null;
  actor: string;
  action: string;
  subject_id: string | null;
  verification_id: string | null;
  ticket: string | null;
  method: string | null;
  destination_masked: string | null;
  destination_hash: string | null;
  outcome: string | null;
  reason: string | null;
  data: string | null;
  prev_hash: string;
  hash: string;
}

/** An event committed but not yet linked (PostgreSQL): an audit event without its place in the chain. */
export type AuditPendingRow = Omit<AuditEventRow, "seq" | "prev_hash" | "hash"> & { pid: Generated<number> };

export interface AuditHeadRow {
  id: number;
  seq: number;
  hash: string;
}

export interface ApiTokenRow {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  tenants: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Durable background work: ticket notes, webhook processing. */
export interface JobRow {
  id: string;
  kind: string;
  /** At most one job per key (e.g. one note per audit event); null when anything goes. */
  dedupe_key: string | null;
  /** Jobs sharing a key run in `ordering_seq` order (notes on one ticket). */
  ordering_key: string | null;
  ordering_seq: number | null;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Webhook deliveries seen, so a replayed delivery is a no-op. */
export interface WebhookDeliveryRow {
  source: string;
  delivery_id: string;
  body_hash: string;
  received_at: string;
}

/** A code or push that went out: the input of the send caps. */
export interface SendLogRow {
  id: string;
  at: string;
  tenant_id: string;
  /** Who sent it: the actor id, with the agent's name when an integration names one. */
  technician: string;
  subject_id: string;
  method: string;
  /** SMS only: the destination's ISO country (or +callingCode) and dialling prefix. */
  country: string | null;
  prefix: string | null;
}

/** A person who signs in to the web app: a local account or a single-sign-on user. */
export interface UserRow {
  id: string;
  /** `local` (password and TOTP) or `oidc` (an identity provider signs them in). */
  kind: string;
  /** Local accounts: the sign-in name, lower case. */
  username: string | null;
  /** SSO users: the configured provider's name and the user's stable subject there. */
  provider: string | null;
  subject: string | null;
  display_name: string;
  email: string | null;
  role: string;
  /** JSON array of tenant ids; null means every tenant. */
  tenants: string | null;
  /** `scrypt$N$r$p$salt$hash`; local accounts only. */
  password_hash: string | null;
  /** The TOTP secret, sealed with a key derived from security.hashKey. */
  totp_secret: string | null;
  /** The last TOTP time step accepted, so a code works once. */
  totp_last_step: number | null;
  failed_signins: number;
  locked_until: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
  last_signin_at: string | null;
}

/** A signed-in browser: only the SHA-256 of its cookie is stored. */
export interface WebSessionRow {
  id_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute end (12 hours after sign-in); idleness ends it sooner. */
  expires_at: string;
  ended_at: string | null;
  end_reason: string | null;
}

/** A sign-in in progress at an identity provider (state, nonce, PKCE), for 10 minutes. */
export interface AuthFlowRow {
  id_hash: string;
  provider: string;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string | null;
  created_at: string;
  expires_at: string;
}

/** A notification destination that answered 410 Gone: nothing more is sent to it. */
export interface NotificationDisabledRow {
  /** A keyed hash of the destination's kind and URL (the URL may be a credential). */
  destination_key: string;
  label: string;
  reason: string;
  disabled_at: string;
}

/** One client's HTTP requests in one minute, counted by every instance (PostgreSQL only). */
export interface RateLimitWindowRow {
  /** The bucket kind and a keyed hash of the client (`addr:…`, `token:…`): no address or id in clear. */
  key: string;
  /** The window's first millisecond (epoch ms, a whole minute). */
  window_start: number;
  count: number;
}

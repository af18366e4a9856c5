/**
 * The one registry of errors Verity raises. Every failure that reaches a caller carries a stable
 * UPPER_SNAKE code from this table, its HTTP status, and whether retrying the same request later
 * could succeed. Messages are written for the person who has to act on them.
 */
export const ERRORS = {
  // Request shape
  INVALID_JSON: { status: 400, message: "The request body is not valid JSON." },
  BAD_REQUEST: { status: 400, message: "The request is malformed." },
  BAD_URL: { status: 400, message: "The request's path is not validly encoded." },
  URI_TOO_LONG: { status: 414, message: "A part of the request's path is too long." },
  VALIDATION_FAILED: { status: 422, message: "The request is not valid." },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request body is too large." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Send the request body as application/json." },
  INVALID_CODE_FORMAT: { status: 422, message: "The code must be the digits the caller read out." },
  CUSTOM_TEXT_NOT_ALLOWED: {
    status: 422,
    message: "Custom push text is turned off (verification.allowCustomPushText); the organisation's own wording is used.",
  },

  // Authentication and authorisation
  UNAUTHENTICATED: { status: 401, message: "A valid bearer token is required." },
  FORBIDDEN: { status: 403, message: "This token is not allowed to do that." },
  POLICY_BLOCKED: { status: 403, message: "The tenant's policy does not allow this verification." },
  SIGNIN_FAILED: { status: 401, message: "The username, password or code is not right." },
  ACCOUNT_LOCKED: { status: 429, message: "Too many failed sign-ins for this account; try again later.", retryable: true },
  ACCOUNT_DISABLED: { status: 403, message: "This account is disabled; ask an administrator." },
  SESSION_REQUIRED: { status: 401, message: "Sign in first." },
  CSRF_REJECTED: { status: 403, message: "The request did not come from a Verity page; reload the page and try again." },
  SIGNIN_UNAVAILABLE: { status: 403, message: "Signing in needs HTTPS (server.publicUrl https://...), except on this machine itself." },
  NO_ROLE: { status: 403, message: "Your account has no Verity role; ask an administrator to assign you one." },
  SSO_FLOW_INVALID: { status: 400, message: "This sign-in has expired, was already used or was started in another browser; start again from the sign-in page." },
  SSO_REJECTED: { status: 401, message: "The identity provider's answer did not pass Verity's checks; start again from the sign-in page." },
  SSO_TENANT_NOT_ALLOWED: { status: 403, message: "Your organisation's directory is not allowed to sign in to Verity." },
  SSO_UNAVAILABLE: { status: 503, message: "The identity provider could not be reached; try again in a moment.", retryable: true },
  CALLER_SIGNIN_FLOW_INVALID: { status: 400, message: "This sign-in has expired, was already used or was started in another browser; open the link again." },
  CALLER_SIGNIN_REJECTED: { status: 403, message: "The sign-in did not confirm who you are, so nothing was verified." },
  CALLER_SIGNIN_UNAVAILABLE: { status: 503, message: "Your organisation's sign-in could not be reached; try again in a moment.", retryable: true },

  // Lookup
  NOT_FOUND: { status: 404, message: "Not found." },
  VERIFICATION_NOT_FOUND: { status: 404, message: "No such verification." },
  USER_NOT_FOUND: { status: 404, message: "No such user in the directory." },
  USER_AMBIGUOUS: { status: 409, message: "More than one user matches; use the UPN or email." },
  TENANT_NOT_FOUND: { status: 404, message: "No tenant matches." },
  TENANT_REQUIRED: { status: 422, message: "Several tenants are configured; say which one." },
  SEARCH_NEEDS_EMAIL: {
    status: 422,
    message: "This directory serves many client tenants and cannot tell from a name which one to search; type the caller's email to search a client tenant.",
  },
  SEARCH_QUERY_UNSUPPORTED: { status: 422, message: "The directory cannot search for that text." },

  // Factors and methods
  METHOD_NOT_ENABLED: { status: 422, message: "That method is not enabled for this tenant." },
  NO_USABLE_FACTOR: { status: 422, message: "The user has no factor registered for that method." },
  COUNTRY_NOT_ALLOWED: { status: 422, message: "Texts to this country are not allowed for this organisation." },
  INVALID_PHONE_NUMBER: { status: 422, message: "The phone number is not valid." },

  // State
  INVALID_TRANSITION: { status: 409, message: "The verification cannot do that in its current state." },
  VERIFICATION_NOT_PENDING: { status: 409, message: "The verification is no longer waiting for a code." },
  VERIFICATION_EXPIRED: { status: 409, message: "The verification has expired; start a new one." },
  CHECK_LIMIT_REACHED: { status: 409, message: "Too many codes were tried; start a new verification." },
  CODE_ALREADY_USED: { status: 409, message: "The code was already used." },
  CONFLICT: { status: 409, message: "That already exists." },
  NOT_A_CODE_METHOD: { status: 409, message: "This verification does not take a code." },
  LINK_NOT_VALID: { status: 410, message: "This confirmation link has been used or is no longer valid." },
  RESEND_LIMIT_REACHED: { status: 429, message: "No more resends are allowed for this verification." },

  // Limits
  RATE_LIMITED: { status: 429, message: "Too many requests; slow down.", retryable: true },
  SUBJECT_LOCKED: {
    status: 429,
    message: "Too many failed checks for this user recently; escalate to a supervisor.",
    retryable: true,
  },
  PUSH_LIMIT_REACHED: {
    status: 429,
    message: "Too many pushes were sent to this user recently (MFA-fatigue protection).",
    retryable: true,
  },
  SEND_LIMIT_REACHED: { status: 429, message: "Too many messages were sent to this user recently.", retryable: true },
  TECHNICIAN_SEND_LIMIT: { status: 429, message: "You have sent too many codes and pushes recently.", retryable: true },
  TENANT_SEND_LIMIT: { status: 429, message: "This organisation has sent too many codes and pushes recently.", retryable: true },
  TENANT_DAILY_BUDGET: { status: 429, message: "This organisation has used its daily budget of codes and pushes.", retryable: true },
  COUNTRY_SEND_LIMIT: { status: 429, message: "Too many texts went to this country recently.", retryable: true },
  PREFIX_SEND_LIMIT: { status: 429, message: "Too many texts went to numbers with this dialling prefix recently.", retryable: true },
  TOO_MANY_STREAMS: { status: 429, message: "Too many event streams are open; close one first.", retryable: true },

  // Delivery and providers
  CHANNEL_REJECTED: { status: 502, message: "The provider refused to deliver the message." },
  CHANNEL_UNAVAILABLE: { status: 503, message: "The provider could not be reached.", retryable: true },
  DELIVERY_UNKNOWN: { status: 504, message: "The provider did not say whether it accepted the message." },
  PROVIDER_ERROR: { status: 502, message: "The provider returned an error." },
  PROVIDER_UNAVAILABLE: { status: 503, message: "The provider could not be reached.", retryable: true },
  DIRECTORY_UNAVAILABLE: { status: 503, message: "The directory could not be reached.", retryable: true },
  DIRECTORY_ERROR: { status: 502, message: "The directory refused the request or answered something Verity cannot read." },
  UPSTREAM_AUTH_FAILED: {
    status: 502,
    message: "A provider refused Verity's credentials or permissions; an administrator must fix the configuration.",
  },
  TICKETING_UNAVAILABLE: { status: 503, message: "The ticketing system could not be reached.", retryable: true },
  TICKETING_ERROR: { status: 502, message: "The ticketing system refused the request." },
  CALLER_FLAGGED: {
    status: 409,
    message: "The caller reported a verification as fraud in the last 24 hours; a new one needs an administrator's override.",
  },
  TICKET_NOT_FOUND: { status: 404, message: "No such ticket in the ticketing system." },
  TICKET_NOT_CALLERS: {
    status: 422,
    message: "The ticketing system says this ticket belongs to someone else; nothing was sent, and no evidence of this caller goes to that ticket.",
  },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, message: "The webhook's signature or credentials are not valid." },
  SOURCE_NOT_ALLOWED: { status: 403, message: "This webhook does not accept requests from this address." },
  WEBHOOK_TIMESTAMP_INVALID: {
    status: 400,
    message: "The webhook delivery has no readable timestamp, so its freshness cannot be checked; nothing was done.",
  },
  DELIVERY_ID_REUSED: { status: 409, message: "This delivery id was already used for a different request; nothing was done." },

  // Configuration and internals
  CONFIG_INVALID: { status: 500, message: "The configuration is not valid." },
  DIRECTORY_INVALID: { status: 500, message: "The directory file is not valid." },
  AUDIT_CHAIN_BROKEN: { status: 500, message: "The audit chain does not verify." },
  ANCHOR_SINK_FAILED: { status: 503, message: "An audit anchor sink did not take the anchor.", retryable: true },
  NOTIFICATION_FAILED: { status: 503, message: "A notification destination did not take the message; it will be retried.", retryable: true },
  NOTIFICATION_REFUSED: { status: 502, message: "A notification destination refused the message; it will not be retried." },
  INTERNAL_ERROR: { status: 500, message: "Something went wrong on our side." },
} as const satisfies Record<string, { status: number; message: string; retryable?: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

export interface VerityErrorOptions {
  /** Replaces the registry's message; never put a secret, a code or a full phone number here. */
  message?: string;
  /** Structured, non-secret detail returned to the caller (for example validation issues). */
  details?: unknown;
  /** Seconds after which retrying makes sense (sent as Retry-After on 429 and 503). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The only error type Verity throws on purpose. */
export class VerityError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: VerityErrorOptions = {}) {
    const entry = ERRORS[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "VerityError";
    this.code = code;
    this.status = entry.status;
    this.retryable = "retryable" in entry ? entry.retryable : false;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isVerityError = (value: unknown): value is VerityError => value instanceof VerityError;

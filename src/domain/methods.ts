import { VerityError } from "./errors.js";

/** Channels that carry a Verity-generated one-time code to the caller. */
export const CODE_CHANNELS = ["sms", "email"] as const;
export type CodeChannel = (typeof CODE_CHANNELS)[number];

/**
 * Confirmation links: the channel carries a single-use link to a page where the caller confirms
 * the call and picks the number the technician reads out (issue 12).
 */
export const LINK_METHODS = ["sms-link", "email-link"] as const;
export type LinkMethodId = (typeof LINK_METHODS)[number];

/**
 * Methods whose message carries a link to a caller page (`/c/<ref>`), like a confirmation link:
 * `sms-signin`/`email-signin` (the caller signs in at their own identity provider),
 * `sms-faceid`/`email-faceid` (Entra Verified ID with Face Check), and `manager-approval`
 * (the link goes by email to the caller's manager, who approves). Issue 12.
 */
export const CALLER_PAGE_KINDS = ["link", "signin", "faceid", "approval"] as const;
export type CallerPageKind = (typeof CALLER_PAGE_KINDS)[number];
export const isCallerPageKind = (kind: string): kind is CallerPageKind => (CALLER_PAGE_KINDS as readonly string[]).includes(kind);

const SUFFIXED: ReadonlyArray<{ readonly suffix: string; readonly kind: "link" | "signin" | "faceid" }> = [
  { suffix: "-link", kind: "link" },
  { suffix: "-signin", kind: "signin" },
  { suffix: "-faceid", kind: "faceid" },
];
export const MANAGER_APPROVAL = "manager-approval";

/** Every kind of method, for exhaustive switches. */
export type MethodKind = MethodSpec["kind"];

/**
 * A method id as technicians type it: `sms`, `email`, `sms-link`, `email-link`, `sms-signin`, `email-signin`,
 * `sms-faceid`, `email-faceid`, `manager-approval`, `<provider>-push` or `<provider>-passcode`
 * (for example `vip-push`, `duo-passcode`, `simulated-push`).
 */
export type MethodSpec =
  | { readonly id: string; readonly kind: "code"; readonly channel: CodeChannel }
  | { readonly id: string; readonly kind: CallerPageKind; readonly channel: CodeChannel }
  | { readonly id: string; readonly kind: "push" | "passcode"; readonly provider: string };

/** A method carried by a message channel (SMS or email): a code or a caller-page link. */
export type ChannelMethod = Extract<MethodSpec, { channel: CodeChannel }>;
export const usesChannel = (spec: MethodSpec): spec is ChannelMethod => "channel" in spec;
export type CallerPageSpec = Extract<MethodSpec, { kind: CallerPageKind }>;
export const isCallerPageSpec = (spec: MethodSpec): spec is CallerPageSpec => isCallerPageKind(spec.kind);

const PROVIDER_METHOD = /^([a-z][a-z0-9]{1,30})-(push|passcode)$/;

export function parseMethod(id: string): MethodSpec {
  if ((CODE_CHANNELS as readonly string[]).includes(id)) {
    return { id, kind: "code", channel: id as CodeChannel };
  }
  if (id === MANAGER_APPROVAL) return { id, kind: "approval", channel: "email" };
  for (const { suffix, kind } of SUFFIXED) {
    const channel = id.slice(0, -suffix.length);
    if (id.endsWith(suffix) && (CODE_CHANNELS as readonly string[]).includes(channel)) return { id, kind, channel: channel as CodeChannel };
  }
  const match = PROVIDER_METHOD.exec(id);
  if (match?.[1] !== undefined && (match[2] === "push" || match[2] === "passcode")) {
    return { id, kind: match[2], provider: match[1] };
  }
  throw new VerityError("VALIDATION_FAILED", {
    message: `'${id.slice(0, 40)}' is not a method; use sms, email, sms-link, email-link, sms-signin, email-signin, sms-faceid, email-faceid, manager-approval, <provider>-push or <provider>-passcode.`,
  });
}

export const isMethodId = (id: string): boolean => {
  try {
    parseMethod(id);
    return true;
  } catch {
    return false;
  }
};

/** How a tenant names its users at a push/passcode provider (see providerUserIdFor). */
export const USER_ID_RULES = ["provider-id", "upn", "upn-prefix", "mail", "sam-account-name"] as const;
export type UserIdRule = (typeof USER_ID_RULES)[number];

/** What each provider's app is called by the people holding it. */
const APPS: Record<string, string> = {
  vip: "VIP Access",
  duo: "Duo Mobile",
  okta: "Okta Verify",
  entra: "Microsoft Authenticator",
  simulated: "the demo authenticator",
};

/** A method as a technician reads it: "Text message (SMS) code", "Push to Okta Verify". */
export function methodLabel(method: string): string {
  if (method === "sms") return "Text message (SMS) code";
  if (method === "email") return "Email code";
  if (method === "sms-link") return "Confirmation link by SMS";
  if (method === "email-link") return "Confirmation link by email";
  if (method === "sms-signin") return "Sign-in at their identity provider (link by SMS)";
  if (method === "email-signin") return "Sign-in at their identity provider (link by email)";
  if (method === "sms-faceid") return "Verified ID with Face Check (link by SMS)";
  if (method === "email-faceid") return "Verified ID with Face Check (link by email)";
  if (method === MANAGER_APPROVAL) return "Approval by their manager (email)";
  const provider = method.replace(/-(push|passcode)$/, "");
  const app = APPS[provider] ?? provider;
  return method.endsWith("-push") ? `Push to ${app}` : `Code from ${app}`;
}

/** How the technician's screen and the CLI speak of a caller-page method while it waits and once it ends. */
export const CALLER_PAGE_WORDS: Readonly<
  Record<CallerPageKind, { readonly noun: string; readonly waiting: (who: string, where: string) => string; readonly proved: (who: string, where: string) => string; readonly fraud: (who: string) => string }>
> = {
  link: {
    noun: "link",
    waiting: (who, where) => `Waiting for ${who} to confirm on their phone (link sent to ${where}).`,
    proved: (who, where) => `${who} opened the link sent to ${where} and picked the number you read out.`,
    fraud: (who) => `${who} said "this is not me"`,
  },
  signin: {
    noun: "sign-in link",
    waiting: (who, where) => `Waiting for ${who} to sign in at their organisation's identity provider (link sent to ${where}).`,
    proved: (who, where) => `${who} signed in at their organisation's identity provider from the link sent to ${where}.`,
    fraud: () => "someone other than the caller signed in",
  },
  faceid: {
    noun: "Face Check link",
    waiting: (who, where) => `Waiting for ${who} to present their Verified ID with Face Check (link sent to ${where}).`,
    proved: (who, where) => `${who} presented their Verified ID and passed Face Check (link sent to ${where}).`,
    fraud: () => "a credential of someone other than the caller was presented",
  },
  approval: {
    noun: "approval request",
    waiting: (who, where) => `Waiting for ${who}'s manager to answer (email sent to ${where}).`,
    proved: (who, where) => `${who}'s manager approved through the link sent to ${where}.`,
    fraud: (who) => `${who}'s manager said they know nothing of this request`,
  },
};

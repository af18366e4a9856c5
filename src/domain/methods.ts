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
 * A method id as technicians type it: `sms`, `email`, `sms-link`, `email-link`, `<provider>-push` or `<provider>-passcode`
 * (for example `vip-push`, `duo-passcode`, `simulated-push`).
 */
export type MethodSpec =
  | { readonly id: string; readonly kind: "code"; readonly channel: CodeChannel }
  | { readonly id: string; readonly kind: "link"; readonly channel: CodeChannel }
  | { readonly id: string; readonly kind: "push" | "passcode"; readonly provider: string };

const PROVIDER_METHOD = /^([a-z][a-z0-9]{1,30})-(push|passcode)$/;

export function parseMethod(id: string): MethodSpec {
  if ((CODE_CHANNELS as readonly string[]).includes(id)) {
    return { id, kind: "code", channel: id as CodeChannel };
  }
  if ((LINK_METHODS as readonly string[]).includes(id)) {
    return { id, kind: "link", channel: id.slice(0, -"-link".length) as CodeChannel };
  }
  const match = PROVIDER_METHOD.exec(id);
  if (match?.[1] !== undefined && (match[2] === "push" || match[2] === "passcode")) {
    return { id, kind: match[2], provider: match[1] };
  }
  throw new VerityError("VALIDATION_FAILED", {
    message: `'${id.slice(0, 40)}' is not a method; use sms, email, sms-link, email-link, <provider>-push or <provider>-passcode.`,
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
  const provider = method.replace(/-(push|passcode)$/, "");
  const app = APPS[provider] ?? provider;
  return method.endsWith("-push") ? `Push to ${app}` : `Code from ${app}`;
}

import type { ProviderUserInfo } from "../../../domain/ports.js";
import type { OktaFactor } from "./okta-schemas.js";

/** Users in these states cannot answer a push or be verified at Okta. */
const BLOCKED_USER_STATUSES = new Set(["SUSPENDED", "DEPROVISIONED"]);

/** Passcode apps Verity accepts, best first: Okta Verify's own codes, then Google Authenticator. */
const PASSCODE_PROVIDERS = ["OKTA", "GOOGLE"];

const isActive = (factor: OktaFactor) => factor.status === "ACTIVE";

/** The user's active Okta Verify push enrolment. */
export function pushFactor(factors: readonly OktaFactor[]): OktaFactor | undefined {
  return factors.find((f) => f.factorType === "push" && (f.provider ?? "OKTA") === "OKTA" && isActive(f));
}

/** The user's active software TOTP enrolment (Okta Verify, else Google Authenticator). */
export function passcodeFactor(factors: readonly OktaFactor[]): OktaFactor | undefined {
  for (const provider of PASSCODE_PROVIDERS) {
    const found = factors.find((f) => f.factorType === "token:software:totp" && f.provider === provider && isActive(f));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * What a technician sees of a user's Okta factors: whether push and passcodes can work, the
 * devices by the names Okta Verify registered (never a phone number), and why not when they can't.
 */
export function describeFactors(factors: readonly OktaFactor[], userStatus: string | undefined): ProviderUserInfo {
  if (userStatus !== undefined && BLOCKED_USER_STATUSES.has(userStatus)) {
    return { exists: true, push: false, passcode: false, devices: [], detail: `The Okta user is ${userStatus.toLowerCase()}, so Okta will not verify them.` };
  }
  const push = pushFactor(factors);
  const passcode = passcodeFactor(factors);
  const devices = [
    ...(push === undefined ? [] : [pushDeviceName(push)]),
    ...(passcode === undefined ? [] : [passcode.provider === "GOOGLE" ? "Google Authenticator (passcodes)" : "Okta Verify (passcodes)"]),
  ];
  const reasons: string[] = [];
  if (push === undefined) reasons.push(missingPushReason(factors));
  if (passcode === undefined) reasons.push("no Okta Verify or Google Authenticator passcode is enrolled");
  const detail = reasons.length === 0 ? null : `${capitalise(reasons.join("; "))}.`;
  return { exists: true, push: push !== undefined, passcode: passcode !== undefined, devices, detail };
}

function missingPushReason(factors: readonly OktaFactor[]): string {
  const pending = factors.find((f) => f.factorType === "push" && (f.provider ?? "OKTA") === "OKTA");
  if (pending === undefined) return "not enrolled in Okta Verify (no push factor)";
  return `the Okta Verify push enrolment is ${String(pending.status ?? "not active").toLowerCase().replace(/_/g, " ")}, not active`;
}

/** "Okta Verify on Gibson (iOS)", from the factor profile's device name and platform. */
export function pushDeviceName(factor: OktaFactor): string {
  const profile = factor.profile ?? {};
  const name = clean(profile.name);
  const platform = platformName(clean(profile.platform));
  if (name === "" && platform === "") return "Okta Verify";
  if (name === "") return `Okta Verify (${platform})`;
  return platform === "" ? `Okta Verify on ${name}` : `Okta Verify on ${name} (${platform})`;
}

const PLATFORMS: Readonly<Record<string, string>> = { IOS: "iOS", ANDROID: "Android", WINDOWS: "Windows", MACOS: "macOS", OSX: "macOS" };

function platformName(raw: string): string {
  return PLATFORMS[raw.toUpperCase()] ?? raw;
}

/** Device names are chosen by users: keep them to one short printable line. */
function clean(value: unknown): string {
  if (typeof value !== "string") return "";
  const line = value.replace(/[\u0000-\u001f\u007f<>]+/g, " ").replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

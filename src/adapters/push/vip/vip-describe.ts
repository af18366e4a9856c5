import type { ProviderUserInfo } from "../../../domain/ports.js";
import { userMissingMessage, vipWording } from "./vip-errors.js";
import type { CredentialBinding, UserInfoResponse } from "./vip-responses.js";

const TYPE_WORDS: Readonly<Record<string, string>> = {
  STANDARD_OTP: "VIP credential",
  SMS_OTP: "text-message credential",
  VOICE_OTP: "voice-call credential",
  SERVICE_OTP: "service credential",
  CERTIFICATE: "certificate credential",
  IA: "Intelligent Authentication device",
};

const PLATFORMS: Readonly<Record<string, string>> = { IPHONE: "iPhone", IOS: "iPhone", ANDROID: "Android" };

const attribute = (binding: CredentialBinding, key: string): string | undefined =>
  binding.pushAttributes.find((a) => a.Key.toUpperCase() === key)?.Value?.trim();

const isEnabled = (b: CredentialBinding): boolean =>
  (b.credentialStatus ?? "ENABLED").toUpperCase() === "ENABLED" && (b.bindingDetail?.bindStatus ?? "ENABLED").toUpperCase() === "ENABLED";

/** A binding takes pushes when VIP lists `PUSH_ENABLED=true` for it (GetUserInfo with push attributes). */
const takesPush = (b: CredentialBinding): boolean => isEnabled(b) && attribute(b, "PUSH_ENABLED")?.toLowerCase() === "true";

/** CheckOtp verifies codes a token or the VIP Access app shows; SMS and voice codes are VIP's to send. */
const takesPasscode = (b: CredentialBinding): boolean => isEnabled(b) && (b.credentialType ?? "").toUpperCase() === "STANDARD_OTP";

/**
 * A credential as a technician can recognise it: its friendly name, kind and platform, and for
 * tokens and apps the last four characters of the credential id (the VIP Access app shows it).
 * SMS and voice credential ids are phone numbers, so those are never shown.
 */
function describeBinding(b: CredentialBinding): string {
  const type = (b.credentialType ?? "").toUpperCase();
  const platform = PLATFORMS[(attribute(b, "PUSH_PLATFORM") ?? "").toUpperCase()];
  const name = vipWording(b.bindingDetail?.friendlyName).slice(0, 40);
  const facts = [
    attribute(b, "PUSH_ENABLED")?.toLowerCase() === "true" ? "VIP Access with push" : (TYPE_WORDS[type] ?? "VIP credential"),
    platform,
    type === "STANDARD_OTP" && b.credentialId !== undefined && b.credentialId.length > 4 ? `id ending ${b.credentialId.slice(-4)}` : undefined,
    isEnabled(b) ? undefined : "disabled",
  ].filter((f): f is string => f !== undefined);
  return name === "" ? facts.join(", ") : `${name} (${facts.join(", ")})`;
}

/**
 * What GetUserInfo says a user can do. The limits: VIP reports push capability only through the
 * `PUSH_ENABLED` push attribute (a credential without it is taken as unable to take pushes), and
 * a user can still be refused at push time by VIP Manager policy Verity cannot see.
 */
export function userInfoFrom(userId: string, response: UserInfoResponse): ProviderUserInfo {
  if (response.status === "6003") return { exists: false, push: false, passcode: false, devices: [], detail: userMissingMessage(userId) };
  const bindings = response.credentialBindingDetail;
  const devices = bindings.map(describeBinding);
  const userStatus = (response.userStatus ?? "ACTIVE").toUpperCase();
  if (userStatus !== "ACTIVE") {
    return {
      exists: true,
      push: false,
      passcode: false,
      devices,
      detail: `The VIP user "${userId}" is ${userStatus.toLowerCase()}. Ask a VIP administrator to unlock or enable it in VIP Manager.`,
    };
  }
  const push = bindings.some(takesPush);
  const passcode = bindings.some(takesPasscode);
  let detail: string | null = null;
  if (bindings.length === 0) detail = `The VIP user "${userId}" has no credentials. Enrol the VIP Access app or a token for them in VIP Manager.`;
  else if (!push && !passcode) detail = `The VIP user "${userId}" has no enabled credential Verity can use (a VIP Access app with push, or a token).`;
  else if (!push) detail = `The VIP user "${userId}" has no credential that takes pushes (VIP Access with push turned on); a security code from their token or app still works.`;
  else if (!passcode) detail = `The VIP user "${userId}" has no token or VIP Access app whose security code Verity can check; push works.`;
  return { exists: true, push, passcode, devices, detail };
}

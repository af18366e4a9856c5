import { VerityError } from "../domain/errors.js";
import { generateChallenge, generateLinkToken, hashLinkToken, LINK_LIFETIME_SECONDS, linkRef } from "../domain/caller-link.js";
import { generateCode, hashCode } from "../domain/otp.js";
import { isCallerPageKind } from "../domain/methods.js";
import type { EngineDeps } from "./engine-deps.js";
import type { MethodBinding, TenantRuntime } from "./tenant-registry.js";

/** The secret a new send carries: a code, a confirmation link's token, or nothing (a push). */
export interface FreshSecret {
  /** The plaintext code or link token; it lives only until it is sent. */
  readonly secret: string | null;
  readonly hash: string | null;
  readonly codeLength: number | null;
  /** A confirmation link's number for the technician to read out; null otherwise. */
  readonly challenge: string | null;
  readonly ttlSeconds: number;
}

/**
 * What a start, a resume or a resend stores and sends. A confirmation link lives 10 minutes at
 * most, however long the tenant's codes live.
 */
export function freshSecret(deps: Pick<EngineDeps, "keys">, tenant: TenantRuntime, kind: MethodBinding["spec"]["kind"], id: string): FreshSecret {
  if (kind === "code") {
    const code = generateCode(tenant.settings.codeLength);
    return { secret: code, hash: hashCode(deps.keys.code, id, code), codeLength: code.length, challenge: null, ttlSeconds: tenant.settings.codeTtlSeconds };
  }
  if (isCallerPageKind(kind)) {
    const token = generateLinkToken();
    return {
      secret: token,
      hash: hashLinkToken(deps.keys, id, token),
      codeLength: null,
      // Only a confirmation link asks the caller to pick the number the technician reads out.
      challenge: kind === "link" ? generateChallenge() : null,
      ttlSeconds: Math.min(tenant.settings.codeTtlSeconds, LINK_LIFETIME_SECONDS),
    };
  }
  return { secret: null, hash: null, codeLength: null, challenge: null, ttlSeconds: kind === "push" ? tenant.settings.pushTimeoutSeconds : tenant.settings.codeTtlSeconds };
}

/** A link method needs an address the caller's phone can open: server.publicUrl (or the demo's own). */
export function assertLinkable(deps: Pick<EngineDeps, "callerLinkBase">, binding: MethodBinding): void {
  if (isCallerPageKind(binding.spec.kind) && deps.callerLinkBase === undefined) {
    throw new VerityError("METHOD_NOT_ENABLED", {
      message: `${binding.spec.id} needs server.publicUrl: the link the caller opens must reach this Verity.`,
    });
  }
}

/** `<base>/c/<verification id>.<token>`: the page the caller opens. */
export function callerLinkUrl(base: string, verificationId: string, token: string): string {
  return `${base.replace(/\/+$/, "")}/c/${linkRef(verificationId, token)}`;
}

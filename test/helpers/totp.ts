import * as OTPAuth from "otpauth";
import type { Clock } from "../../src/domain/ports.js";

/** The code an authenticator app holding `secret` shows at the clock's time (what a person types). */
export function totpCode(secret: string, clock: Clock, offsetSteps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret.replace(/\s+/g, "")), algorithm: "SHA1", digits: 6, period: 30 });
  return totp.generate({ timestamp: clock.now().getTime() + offsetSteps * 30_000 });
}

/** A code that is not the current one, nor either neighbour the server also accepts. */
export function wrongTotpCode(secret: string, clock: Clock): string {
  const near = new Set([-1, 0, 1].map((step) => totpCode(secret, clock, step)));
  for (let n = 0; ; n += 1) {
    const guess = String(n).padStart(6, "0");
    if (!near.has(guess)) return guess;
  }
}

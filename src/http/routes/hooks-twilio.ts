import type { FastifyInstance } from "fastify";
import { parseStatusCallback, statusOutcome } from "../../adapters/channel/twilio-sms/twilio-status-callback.js";
import { validateTwilioSignature } from "../../adapters/channel/twilio-sms/twilio-signature.js";
import { VerityError } from "../../domain/errors.js";
import type { VerificationEngine } from "../../services/verification-engine.js";

export const TWILIO_STATUS_PATH = "/hooks/twilio/status";

/** A Twilio account whose callbacks Verity accepts, with the token that signs them. */
export interface TwilioCallbackAccount {
  readonly accountSid: string;
  readonly authToken: string;
}

const MAX_FORM = 16 * 1024;

/**
 * Twilio's message status callbacks. The X-Twilio-Signature is checked against the public URL
 * Twilio was given (behind a proxy the request URL differs) with each configured account's
 * token, before anything else happens; the account in the form must be the one that signed.
 */
export function twilioHookRoutes(app: FastifyInstance, deps: { publicUrl: string; accounts: readonly TwilioCallbackAccount[]; engine: VerificationEngine }): void {
  const url = `${deps.publicUrl.replace(/\/+$/, "")}${TWILIO_STATUS_PATH}`;
  app.register((hooks, _options, done) => {
    hooks.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: MAX_FORM }, (_request, body, next) => {
      next(null, new URLSearchParams(body as string));
    });
    hooks.post(TWILIO_STATUS_PATH, async (request, reply) => {
      const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
      const params: Record<string, string[]> = {};
      for (const [key, value] of form) (params[key] ??= []).push(value);
      const signature = request.headers["x-twilio-signature"];
      const signer =
        typeof signature === "string"
          ? deps.accounts.find((a) => validateTwilioSignature({ authToken: a.authToken, url, params, signature }))
          : undefined;
      if (signer === undefined) throw new VerityError("WEBHOOK_SIGNATURE_INVALID");
      const callback = parseStatusCallback(form);
      if (callback === null || callback.accountSid !== signer.accountSid) throw new VerityError("VALIDATION_FAILED", { message: "Not a message status callback." });
      const outcome = statusOutcome(callback.status);
      if (outcome !== "pending") {
        await deps.engine.deliveryStatus(callback.messageSid, outcome === "delivered" ? "delivered" : "failed", callback.errorCode);
      }
      return reply.status(204).send();
    });
    done();
  });
}

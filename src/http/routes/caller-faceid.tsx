import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isVerityError, VerityError } from "../../domain/errors.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { sendPage } from "../web/layout.js";
import { RefusedPage } from "../web/caller-link-page.js";
import { FaceCheckOpenPage } from "../web/faceid-page.js";
import { assertSameOrigin } from "./caller-link.js";

const refParams = z.object({ ref: z.string().max(100) });
const pressForm = z.object({ nonce: z.string().max(100) });
const MAX_FORM = 2048;

/**
 * The Face Check page's one button: a POST from this origin (Origin, Sec-Fetch-Site) carrying
 * the nonce its page was rendered with makes Verity create the presentation request, then shows
 * the wallet link and its QR code. The link is not consumed here: the Request Service's callback
 * ends it. The global per-address rate limit applies.
 */
export function callerFaceCheckRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; publicUrl: string | undefined }): void {
  // The caller sees what to do, never a vendor's or the directory's words (those are for administrators, in the log).
  const refuse = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (!isVerityError(error)) throw error;
    if (error.status >= 500) request.log.warn({ code: error.code, reason: error.message }, "Face Check could not start");
    reply.header("x-verity-error", error.code);
    const message =
      error.status >= 500
        ? "Microsoft Entra Verified ID could not start the check just now. Try the button again in a minute, or tell the service desk."
        : error.message;
    return sendPage(reply, <RefusedPage code={error.code} message={message} />, error.status);
  };

  void app.register((page, _options, done) => {
    page.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: MAX_FORM }, (_request, body, parsed) => {
      const form = Object.create(null) as Record<string, string>;
      for (const [key, value] of new URLSearchParams(body as string)) form[key] = value;
      parsed(null, form);
    });
    page.post("/c/:ref/verified-id", async (request: FastifyRequest, reply) => {
      const parsedRef = refParams.safeParse(request.params);
      try {
        assertSameOrigin(request, deps.publicUrl);
        const form = pressForm.safeParse(request.body ?? {});
        if (!parsedRef.success || !form.success) throw new VerityError("VALIDATION_FAILED", { message: "Open the link from your message again and press the button." });
        const start = await deps.engine.startFaceCheck(parsedRef.data.ref, form.data.nonce);
        return await sendPage(reply, <FaceCheckOpenPage start={start} />);
      } catch (error) {
        return refuse(request, reply, error);
      }
    });
    done();
  });
}

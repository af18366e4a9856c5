import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isVerityError, VerityError } from "../../domain/errors.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { ApprovalDonePage } from "../web/approval-page.js";
import { RefusedPage } from "../web/caller-link-page.js";
import { sendPage } from "../web/layout.js";
import { assertSameOrigin } from "./caller-link.js";

const refParams = z.object({ ref: z.string().max(100) });
const answerForm = z.object({ answer: z.enum(["approve", "reject"]), nonce: z.string().max(100) });
const MAX_FORM = 2048;

/**
 * The manager's answer to a manager-approval link: POST `/c/<ref>/approval` from the page GET
 * `/c/<ref>` showed (caller-pages.tsx). As on the confirmation link: same origin only (Origin,
 * Sec-Fetch-Site), the page's nonce, and the first answer consumes the link.
 */
export function approvalRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; publicUrl: string | undefined }): void {
  const refuse = (reply: FastifyReply, error: unknown) => {
    if (!isVerityError(error) || error.status >= 500) throw error;
    reply.header("x-verity-error", error.code);
    return sendPage(reply, <RefusedPage code={error.code} message={error.message} />, error.status);
  };

  void app.register((approval, _options, done) => {
    approval.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: MAX_FORM }, (_request, body, parsed) => {
      const form = Object.create(null) as Record<string, string>;
      for (const [key, value] of new URLSearchParams(body as string)) form[key] = value;
      parsed(null, form);
    });

    approval.post("/c/:ref/approval", async (request: FastifyRequest, reply) => {
      const params = refParams.safeParse(request.params);
      try {
        assertSameOrigin(request, deps.publicUrl);
        const form = answerForm.safeParse(request.body ?? {});
        if (!form.success) throw new VerityError("VALIDATION_FAILED", { message: 'Choose "Approve" or "I do not approve / I don\'t know about this".' });
        const outcome = await deps.engine.answerApproval(params.success ? params.data.ref : "", form.data.nonce, form.data.answer);
        return await sendPage(reply, <ApprovalDonePage outcome={outcome} />);
      } catch (error) {
        return refuse(reply, error);
      }
    });
    done();
  });
}

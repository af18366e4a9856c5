import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { PACKAGE_ROOT } from "../../config/demo.js";
import { isVerityError, VerityError } from "../../domain/errors.js";
import type { CallerAnswer } from "../../services/caller-link.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { sendPage } from "../web/layout.js";
import { DonePage, RefusedPage } from "../web/caller-link-page.js";
import { CALLER_PAGES } from "../web/caller-pages.js";
import { pageOrigin } from "../web/web-auth.js";

const refParams = z.object({ ref: z.string().max(100) });
const answerForm = z.union([
  z.object({ answer: z.literal("yes"), number: z.string().regex(/^\d{2}$/), nonce: z.string().max(100) }),
  z.object({ answer: z.literal("no"), nonce: z.string().max(100) }),
]);
const MAX_FORM = 2048;

/**
 * The caller's confirmation link, `/c/<verification id>.<token>`: no sign-in, the link is the
 * credential. GET shows the page and never consumes the link (SMS apps and mail scanners fetch
 * links before anyone taps them); the first POST answers. A POST must come from this origin
 * (Origin, Sec-Fetch-Site) and carry the nonce its page was rendered with. The global per-address
 * rate limit applies, as on every route without a credential.
 */
export function callerLinkRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; publicUrl: string | undefined }): void {
  const css = readFileSync(join(PACKAGE_ROOT, "static", "caller", "confirm.css"), "utf8");
  app.get("/static/caller/confirm.css", (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").send(css));

  const refOf = (request: FastifyRequest): string => {
    const parsed = refParams.safeParse(request.params);
    return parsed.success ? parsed.data.ref : "";
  };
  const refuse = (reply: FastifyReply, error: unknown) => {
    if (!isVerityError(error) || error.status >= 500) throw error;
    reply.header("x-verity-error", error.code);
    return sendPage(reply, <RefusedPage code={error.code} message={error.message} />, error.status);
  };

  void app.register((link, _options, done) => {
    link.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: MAX_FORM }, (_request, body, parsed) => {
      const form = Object.create(null) as Record<string, string>;
      for (const [key, value] of new URLSearchParams(body as string)) form[key] = value;
      parsed(null, form);
    });

    link.get("/c/:ref", async (request, reply) => {
      const ref = refOf(request);
      try {
        const page = await deps.engine.openLink(ref);
        const Page = CALLER_PAGES[page.kind];
        return await sendPage(reply, <Page page={page} linkRef={ref} />);
      } catch (error) {
        return refuse(reply, error);
      }
    });

    link.post("/c/:ref", async (request, reply) => {
      const ref = refOf(request);
      try {
        assertSameOrigin(request, deps.publicUrl);
        const form = answerForm.safeParse(request.body ?? {});
        if (!form.success) throw new VerityError("VALIDATION_FAILED", { message: "Pick the number the technician read to you, or tap \"No, this is not me\"." });
        const answer: CallerAnswer = form.data.answer === "yes" ? { answer: "yes", number: form.data.number } : { answer: "no" };
        const outcome = await deps.engine.answerLink(ref, form.data.nonce, answer);
        return await sendPage(reply, <DonePage outcome={outcome} />);
      } catch (error) {
        return refuse(reply, error);
      }
    });
    done();
  });
}

/** A cross-site form cannot answer: its Origin (or Sec-Fetch-Site) gives it away. */
export function assertSameOrigin(request: FastifyRequest, publicUrl: string | undefined): void {
  const origin = request.headers.origin;
  const site = request.headers["sec-fetch-site"];
  const expected = pageOrigin(request, publicUrl);
  const foreignOrigin = origin !== undefined && origin !== expected;
  const foreignSite = typeof site === "string" && site !== "same-origin" && site !== "none";
  if (foreignOrigin || foreignSite) {
    throw new VerityError("CSRF_REJECTED", { message: "This answer came from another site; nothing was done. Open the link from your message again." });
  }
}

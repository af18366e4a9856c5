import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { isVerityError, VerityError } from "../../domain/errors.js";
import { CALLER_SIGNIN_CALLBACK_PATH } from "../../services/caller-signin.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { RefusedPage } from "../web/caller-link-page.js";
import { SigninDonePage, SigninRedirectPage, SigninRetryPage } from "../web/caller-signin-page.js";
import { sendPage } from "../web/layout.js";
import { cookieValue } from "../web/web-auth.js";
import { assertSameOrigin } from "./caller-link.js";

/**
 * The sealed sign-in flow between the button and the callback. `__Host-`, Secure, HttpOnly; Lax so
 * it comes back on the provider's top-level redirect (response_mode=query), never on a cross-site
 * POST. It holds no token, only the flow (state, nonce, PKCE verifier) sealed under Verity's key.
 */
export const CALLER_SIGNIN_COOKIE = "__Host-verity_csignin";

const refParams = z.object({ ref: z.string().max(100) });
const buttonForm = z.object({ nonce: z.string().max(200) });
const MAX_FORM = 1024;

const setFlowCookie = (reply: FastifyReply, value: string, maxAgeSeconds: number) =>
  reply.header("set-cookie", `${CALLER_SIGNIN_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`);

/**
 * A sign-in link's button (`POST /c/<ref>/signin`) and the one redirect URI
 * (`GET /c/signin/callback`). The button must come from the link's own page (same origin, the
 * page's nonce); the callback shows the caller the outcome in words, never a reason code's
 * details (those are in the audit log).
 */
export function callerSigninRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; publicUrl: string | undefined }): void {
  const refuse = (reply: FastifyReply, error: unknown) => {
    // The caller gets a page whatever went wrong (a directory or provider away included); only a bug is left to the error handler.
    if (!isVerityError(error)) throw error;
    reply.header("x-verity-error", error.code);
    if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
    const retry = error.code === "CALLER_SIGNIN_REJECTED" || error.code === "CALLER_SIGNIN_UNAVAILABLE" || error.code === "CALLER_SIGNIN_FLOW_INVALID";
    return sendPage(reply, retry ? <SigninRetryPage code={error.code} message={error.message} /> : <RefusedPage code={error.code} message={error.message} />, error.status);
  };

  void app.register((signin, _options, done) => {
    signin.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: MAX_FORM }, (_request, body, parsed) => {
      const form = Object.create(null) as Record<string, string>;
      for (const [key, value] of new URLSearchParams(body as string)) form[key] = value;
      parsed(null, form);
    });

    signin.post("/c/:ref/signin", async (request: FastifyRequest, reply) => {
      const parsed = refParams.safeParse(request.params);
      try {
        assertSameOrigin(request, deps.publicUrl);
        const form = buttonForm.safeParse(request.body ?? {});
        if (!form.success || !parsed.success) throw new VerityError("CSRF_REJECTED", { message: "This request did not come from the sign-in page; open the link again." });
        const { url, cookie, maxAgeSeconds, organisation } = await deps.engine.beginSignin(parsed.data.ref, form.data.nonce);
        setFlowCookie(reply, cookie, maxAgeSeconds);
        return await sendPage(reply.header("cache-control", "no-store"), <SigninRedirectPage url={url} organisation={organisation} />);
      } catch (error) {
        return refuse(reply, error);
      }
    });

    // No HEAD twin: a HEAD must not spend a flow.
    signin.get(CALLER_SIGNIN_CALLBACK_PATH, { exposeHeadRoute: false }, async (request, reply) => {
      setFlowCookie(reply, "", 0);
      reply.header("cache-control", "no-store");
      const query = request.url.indexOf("?");
      try {
        const outcome = await deps.engine.finishSignin(cookieValue(request, CALLER_SIGNIN_COOKIE), query < 0 ? "" : request.url.slice(query));
        return await sendPage(reply, <SigninDonePage outcome={outcome} />);
      } catch (error) {
        return refuse(reply, error);
      }
    });
    done();
  });
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { z } from "zod";
import { readOutbox } from "../../adapters/channel/console/console-channel.js";
import { PACKAGE_ROOT } from "../../config/demo.js";
import { VerityError } from "../../domain/errors.js";
import type { DevTools } from "../../main.js";
import { parseInput } from "../error-handler.js";
import { demoPresentations, demoVerifiedIdRoutes } from "./demo-verified-id.js";

const answerBody = z.strictObject({
  decision: z.enum(["approve", "deny", "fraud"]),
  number: z.string().regex(/^\d{1,3}$/).optional(),
});

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
/** Names a loopback page may be asked for; any other Host is a DNS-rebinding page's. */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i;

/**
 * The DEMO phone: the console channel's outbox, the simulated provider's prompts and passcodes,
 * and the simulated Verified ID wallet (demo-verified-id.ts).
 * It shows codes by design, so it is mounted only in the demo, answers only on loopback and only
 * to a loopback Host (a rebound DNS name cannot reach it), and its one state-changing call takes
 * JSON only (a cross-site form cannot send it) from this origin.
 */
export function demoRoutes(app: FastifyInstance, deps: { dev: DevTools }): void {
  const staticDir = join(PACKAGE_ROOT, "static", "demo");
  const files = {
    html: readFileSync(join(staticDir, "phone.html"), "utf8"),
    js: readFileSync(join(staticDir, "phone.js"), "utf8"),
    css: readFileSync(join(staticDir, "phone.css"), "utf8"),
  };
  const localOnly = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (!LOOPBACK.has(request.socket.remoteAddress ?? "")) return done(new VerityError("NOT_FOUND"));
    if (!LOOPBACK_HOST.test(request.headers.host ?? "")) {
      return done(new VerityError("FORBIDDEN", { message: "The demo phone answers only at 127.0.0.1 or localhost." }));
    }
    done();
  };
  const sameOrigin = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const origin = request.headers.origin;
    const foreign = origin !== undefined && origin !== `http://${request.headers.host ?? ""}`;
    done(foreign ? new VerityError("FORBIDDEN", { message: "Cross-origin requests are refused." }) : undefined);
  };

  app.register((demo, _options, registered) => {
    demo.addHook("onRequest", localOnly);
    demo.get("/demo", (_request, reply) => reply.redirect("/demo/phone"));
    demo.get("/demo/phone", (_request, reply) => reply.type("text/html; charset=utf-8").send(files.html));
    demo.get("/demo/static/phone.js", (_request, reply) => reply.type("text/javascript; charset=utf-8").send(files.js));
    demo.get("/demo/static/phone.css", (_request, reply) => reply.type("text/css; charset=utf-8").send(files.css));

    demo.get("/demo/api/inbox", async () => {
      const messages = deps.dev.outboxPath === null ? [] : await readOutbox(deps.dev.outboxPath, 30);
      const prompts = (await Promise.all([...deps.dev.simulated.values()].map((p) => p.pendingPrompts()))).flat();
      return {
        label: "DEMO · development-only channels",
        messages: messages.map(({ to: _to, ...rest }) => rest),
        prompts,
        presentations: demoPresentations(deps.dev, Date.now()),
      };
    });

    demo.post<{ Params: { id: string } }>("/demo/api/prompts/:id", { preHandler: sameOrigin }, async (request) => {
      const body = parseInput(answerBody, request.body);
      for (const provider of deps.dev.simulated.values()) {
        try {
          const result = await provider.answer(request.params.id, body.number === undefined ? { decision: body.decision } : { decision: body.decision, number: body.number });
          return { result };
        } catch (error) {
          if (!(error instanceof VerityError && error.code === "NOT_FOUND")) throw error;
        }
      }
      throw new VerityError("NOT_FOUND", { message: "No such prompt." });
    });

    demo.get("/demo/api/passcode", async (request) => {
      const { user } = parseInput(z.strictObject({ user: z.string().min(1).max(128) }), request.query);
      const provider = [...deps.dev.simulated.values()][0];
      if (provider === undefined) throw new VerityError("NOT_FOUND", { message: "No simulated provider is configured." });
      return { user, passcode: await provider.currentPasscode(user) };
    });
    demoVerifiedIdRoutes(demo, { dev: deps.dev, sameOrigin });
    registered();
  });
}

import type { FastifyInstance } from "fastify";
import { VerityError } from "../../domain/errors.js";
import { VERIFYING_ROLES } from "../../domain/roles.js";
import type { TokenService } from "../../services/token-service.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { cancelBody, checkBody, startBody, verificationIdParams } from "../api-schemas.js";
import { actorOf, requireToken } from "../auth.js";
import { parseInput } from "../error-handler.js";
import { SSE_HEADERS } from "../security-headers.js";

const idOf = (params: unknown): string => {
  const parsed = verificationIdParams.safeParse(params);
  if (!parsed.success) throw new VerityError("VERIFICATION_NOT_FOUND");
  return parsed.data.id;
};

export function verificationRoutes(app: FastifyInstance, deps: { engine: VerificationEngine; tokens: TokenService; maxStreamsPerClient: number }): void {
  const { engine } = deps;
  // Open event streams per token and per address: each holds a socket and a watcher, so one
  // client cannot hold thousands.
  const open = new Map<string, number>();
  const reserve = (keys: readonly string[]): (() => void) => {
    if (keys.some((k) => (open.get(k) ?? 0) >= deps.maxStreamsPerClient)) {
      throw new VerityError("TOO_MANY_STREAMS", {
        message: `At most ${deps.maxStreamsPerClient} event streams may be open at once per token and per address; close one first.`,
        retryAfterSeconds: 5,
      });
    }
    for (const k of keys) open.set(k, (open.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const left = (open.get(k) ?? 1) - 1;
        if (left <= 0) open.delete(k);
        else open.set(k, left);
      }
    };
  };
  const readers = requireToken(deps.tokens, ...VERIFYING_ROLES, "auditor");
  const actors = requireToken(deps.tokens, ...VERIFYING_ROLES);

  app.post("/api/v1/verifications", { preHandler: actors }, async (request, reply) => {
    const body = parseInput(startBody, request.body);
    const view = await engine.start(actorOf(request), body);
    return reply.status(201).header("location", `/api/v1/verifications/${view.id}`).send(view);
  });

  app.get("/api/v1/verifications/:id", { preHandler: readers }, async (request) =>
    engine.get(actorOf(request), idOf(request.params)),
  );

  app.post("/api/v1/verifications/:id/check", { preHandler: actors }, async (request) => {
    const id = idOf(request.params);
    const { code } = parseInput(checkBody, request.body);
    return engine.check(actorOf(request), id, code);
  });

  app.post("/api/v1/verifications/:id/resend", { preHandler: actors }, async (request) =>
    engine.resend(actorOf(request), idOf(request.params)),
  );

  app.post("/api/v1/verifications/:id/cancel", { preHandler: actors }, async (request) => {
    const id = idOf(request.params);
    const body = parseInput(cancelBody, request.body ?? {});
    return engine.cancel(actorOf(request), id, body.reason ?? null);
  });

  // A stopping server ends its streams (clients reconnect, to another instance if there is one),
  // instead of waiting for each verification to end before it can close.
  const streams = new Set<() => void>();
  app.addHook("preClose", (done) => {
    for (const end of [...streams]) end();
    done();
  });

  app.get("/api/v1/verifications/:id/events", { preHandler: readers }, async (request, reply) => {
    const id = idOf(request.params);
    const actor = actorOf(request);
    await engine.get(actor, id);
    const release = reserve([`token:${actor.id}`, `addr:${request.ip}`]);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, SSE_HEADERS);
    raw.write("retry: 2000\n\n");
    let ended = false;
    let unsubscribe: (() => void) | undefined;
    const heartbeat = setInterval(() => raw.write(": keep-alive\n\n"), 15_000);
    const end = () => {
      if (ended) return;
      ended = true;
      streams.delete(end);
      release();
      clearInterval(heartbeat);
      unsubscribe?.();
      raw.end();
    };
    streams.add(end);
    request.raw.on("close", end);
    try {
      unsubscribe = await engine.watch(actor, id, (view) => {
        if (ended) return;
        raw.write(`event: state\ndata: ${JSON.stringify(view)}\n\n`);
        if (view.final) end();
      });
    } catch (error) {
      request.log.warn({ err: error }, "event stream failed");
      end();
    }
    if (ended) unsubscribe?.();
  });
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { z } from "zod";
import { PACKAGE_ROOT } from "../../config/demo.js";
import { VerityError } from "../../domain/errors.js";
import type { Actor } from "../../services/actor.js";
import type { VerificationLinks } from "../../services/links.js";
import type { TenantRegistry } from "../../services/tenant-registry.js";
import type { VerificationEngine } from "../../services/verification-engine.js";
import { findVerification } from "../../store/verification-dal.js";
import type { Database } from "../../store/schema.js";
import { cancelBody, checkBody, verificationIdParams } from "../api-schemas.js";
import { parseInput } from "../error-handler.js";

export const confirmBody = z.strictObject({ matched: z.boolean() }).describe("ConfirmCode");

/**
 * The technician's page for one verification, reached from a ticket note. Requests carry the
 * link's capability in `X-Verity-Link` (a custom header, so a cross-site page cannot send it);
 * it grants actions on that verification only, as its technician.
 */
export function linkRoutes(
  app: FastifyInstance,
  deps: { engine: VerificationEngine; links: VerificationLinks; tenants: TenantRegistry; db: Kysely<Database> },
): void {
  const dir = join(PACKAGE_ROOT, "static", "verify");
  const files = {
    html: readFileSync(join(dir, "page.html"), "utf8"),
    js: readFileSync(join(dir, "page.js"), "utf8"),
    css: readFileSync(join(dir, "page.css"), "utf8"),
  };
  app.get("/v/:id", (_request, reply) => reply.type("text/html; charset=utf-8").send(files.html));
  app.get("/static/verify/page.js", (_request, reply) => reply.type("text/javascript; charset=utf-8").send(files.js));
  app.get("/static/verify/page.css", (_request, reply) => reply.type("text/css; charset=utf-8").send(files.css));

  /** The verification named in the path, if the request's capability is for it. */
  const authorise = async (request: FastifyRequest): Promise<{ id: string; actor: Actor; codeHandling: string }> => {
    const parsed = verificationIdParams.safeParse(request.params);
    const capability = request.headers["x-verity-link"];
    if (!parsed.success || typeof capability !== "string" || !deps.links.check(parsed.data.id, capability)) {
      throw new VerityError("UNAUTHENTICATED", { message: "This link is not valid or has expired." });
    }
    const v = await findVerification(deps.db, parsed.data.id);
    if (v === undefined) throw new VerityError("VERIFICATION_NOT_FOUND");
    const actor: Actor = { id: `link:${v.technician}`, name: v.technician, role: "admin", tenants: [v.tenantId] };
    return { id: v.id, actor, codeHandling: deps.tenants.get(v.tenantId)?.ticketing?.codeHandling ?? "readback" };
  };

  const base = "/api/v1/link/verifications/:id";
  app.get(base, async (request) => {
    const { id, actor, codeHandling } = await authorise(request);
    return { verification: await deps.engine.get(actor, id), codeHandling };
  });
  app.post(`${base}/check`, async (request) => {
    const { id, actor } = await authorise(request);
    return deps.engine.check(actor, id, parseInput(checkBody, request.body).code);
  });
  app.post(`${base}/confirm`, async (request) => {
    const { id, actor } = await authorise(request);
    return deps.engine.confirm(actor, id, parseInput(confirmBody, request.body).matched);
  });
  app.post(`${base}/resend`, async (request) => {
    const { id, actor } = await authorise(request);
    return deps.engine.resend(actor, id);
  });
  app.post(`${base}/cancel`, async (request) => {
    const { id, actor } = await authorise(request);
    return deps.engine.cancel(actor, id, parseInput(cancelBody, request.body ?? {}).reason ?? null);
  });
}

import type { FastifyInstance } from "fastify";
import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/schema.js";

export function healthRoutes(app: FastifyInstance, deps: { db: Kysely<Database> }): void {
  app.get("/healthz", () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      await sql`select 1`.execute(deps.db);
      return { status: "ok", checks: { database: "ok" } };
    } catch {
      return reply.status(503).send({ status: "unavailable", checks: { database: "unreachable" } });
    }
  });
}

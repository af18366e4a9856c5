import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/http/build-app.js";
import type { Runtime } from "../../src/main.js";

/** The real app listening on a free loopback port. */
export async function listen(runtime: Runtime): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildApp(runtime);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (typeof address !== "object" || address === null) throw new Error("not listening");
  return { app, base: `http://127.0.0.1:${address.port}` };
}

import { rmSync } from "node:fs";
import { createServer } from "node:net";
import type { FastifyInstance } from "fastify";
import { demoConfig, DEMO_PORT } from "../../config/demo.js";
import { configProblems } from "../../config/load.js";
import { buildApp } from "../../http/build-app.js";
import { startMetricsListener } from "../../http/routes/metrics.js";
import { VERSION } from "../../version.js";
import { createRuntime, type Runtime } from "../../main.js";
import { loadCliConfig } from "../context.js";
import { CliExit, EXIT, line, parse, usageError, type CliIo } from "../io.js";

export const SERVE_HELP = `
Usage: verity serve [--config FILE | --demo] [--port N] [--host ADDRESS]

Runs the HTTP API (and, with development providers configured, the demo phone page). Stops
cleanly on SIGINT or SIGTERM. Configuration warnings (see \`verity config check\`) are logged
once at start. An invalid configuration, or a data folder, hash key or database this user
cannot create or write, exits 78 saying what to fix.

Options:
  -c, --config FILE   configuration file (default: $VERITY_CONFIG or ./verity.yaml)
      --demo          serve the built-in DEMO configuration
  -p, --port N        port (default: server.port, 8787)
      --host ADDRESS  address to bind (default: server.host, 127.0.0.1)
  -h, --help          show this help
`;

export const DEMO_HELP = `
Usage: verity demo [--port N] [--reset]     (what \`npm start\` runs)

Starts a complete DEMO with no accounts: two fictional companies' directories, a console channel
instead of SMS and email, a simulated push provider, and a demo phone page to read the codes and
answer the pushes. It binds to 127.0.0.1, keeps its data in ./data/demo (so run it from a
folder you can write; otherwise it exits 78), and prints a fresh technician API token on every
start (the earlier demo token stops working). Its data, and so its per-caller limits, survive a
restart; --reset starts afresh.

Options:
  -p, --port N   port (default: 8787)
      --reset    delete the demo's data first (history, limits, audit log, tokens); refused
                 while a demo is running on the port. With npm: npm start -- --reset
  -h, --help     show this help
`;

const portOf = (value: string | undefined, help: string): number | undefined => {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw usageError("--port must be 0-65535.", help);
  return port;
};

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    { config: { type: "string", short: "c" }, demo: { type: "boolean" }, port: { type: "string", short: "p" }, host: { type: "string" }, help: { type: "boolean", short: "h" } },
    SERVE_HELP,
  );
  if (values.help === true) {
    line(io.stdout, SERVE_HELP.trim());
    return EXIT.ok;
  }
  const loaded = await loadCliConfig(values, io);
  const runtime = await createRuntime(loaded);
  for (const warning of loaded.warnings) runtime.log.warn({ setting: warning.path }, `configuration warning: ${warning.path}: ${warning.message}`);
  const port = portOf(values.port, SERVE_HELP) ?? loaded.config.server.port;
  const host = values.host ?? loaded.config.server.host;
  const app = await listen(runtime, host, port);
  // Listen for SIGTERM before saying so: a supervisor may stop us the moment it reads the line.
  const stopped = untilSignal(app, runtime);
  line(io.stdout, `Verity ${VERSION} listening on ${address(app)} (configuration: ${loaded.source})`);
  return stopped;
}

export async function demoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { port: { type: "string", short: "p" }, reset: { type: "boolean" }, help: { type: "boolean", short: "h" } }, DEMO_HELP);
  if (values.help === true) {
    line(io.stdout, DEMO_HELP.trim());
    return EXIT.ok;
  }
  const port = portOf(values.port, DEMO_HELP) ?? DEMO_PORT;
  const loaded = demoConfig(io.env, io.cwd, port);
  if (values.reset === true) await resetDemo(loaded.config.dataDir, port, io);
  const runtime = await createRuntime(loaded, { print: (text) => line(io.stdout, text) }).catch((error: unknown) => {
    const problems = configProblems(error);
    if (problems === undefined) throw error;
    const found = problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
    throw new CliExit(EXIT.config, `the demo cannot use its data folder:\n${found}\nThe demo keeps its data in ./data/demo under the current folder: run it from a folder this user can write.`);
  });
  // The port is taken before the tokens are touched: a second start on a busy port leaves the
  // running demo's token working.
  const app = await listen(runtime, "127.0.0.1", port, demoBusy);
  const actor = { id: "cli:demo", name: "Verity demo", role: "admin" as const, tenants: null };
  await runtime.tokens.revoke({ name: "Demo Technician" }, actor);
  const { token } = await runtime.tokens.create({ name: "Demo Technician", role: "technician", tenants: null }, actor);
  const url = address(app);
  const stopped = untilSignal(app, runtime);
  line(io.stdout, banner(url, token));
  return stopped;
}

const serveBusy = (host: string, port: number) => `Port ${port} on ${host} is in use; pass --port with a free one.`;
const demoBusy = (host: string, port: number) =>
  `Port ${port} on ${host} is in use. Is the demo already running? Its demo phone is http://${host}:${port}/demo/phone and its token is the one it printed; or pass --port with a free one.`;

async function listen(runtime: Runtime, host: string, port: number, busy = serveBusy): Promise<FastifyInstance> {
  const app = await buildApp(runtime);
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    await runtime.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new CliExit(EXIT.failure, busy(host, port));
    throw error;
  }
  const metrics = runtime.config.server.metrics;
  if (runtime.metrics !== undefined && metrics?.port !== undefined) {
    const listener = await startMetricsListener({ metrics: runtime.metrics, host: metrics.host, port: metrics.port, token: metrics.token?.reveal() });
    app.addHook("onClose", (_instance, done) => {
      listener.close(() => done());
      listener.closeAllConnections();
    });
  }
  await runtime.startBackground();
  return app;
}

/**
 * `verity demo --reset`: starts the demo afresh (history, limits, audit log, tokens), but never
 * from under a demo that is still running on that port.
 */
async function resetDemo(dataDir: string, port: number, io: CliIo): Promise<void> {
  if (port !== 0 && !(await portFree("127.0.0.1", port))) {
    throw new CliExit(EXIT.failure, `A demo seems to be running on port ${port}: stop it (Ctrl+C in its terminal) before --reset.`);
  }
  rmSync(dataDir, { recursive: true, force: true });
  line(io.stdout, `Reset: removed the demo's data in ${dataDir} (its history, limits, audit log and tokens).`);
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host, port }, () => probe.close(() => resolve(true)));
  });
}

function address(app: FastifyInstance): string {
  const a = app.server.address();
  if (a === null || typeof a === "string") return String(a);
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}

function untilSignal(app: FastifyInstance, runtime: Runtime): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void app
        .close()
        .then(() => runtime.close())
        .then(() => resolve(EXIT.ok));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function banner(url: string, token: string): string {
  return `
==================================== Verity DEMO ====================================
Everything here is simulated: fictional users, a development-only console channel instead
of SMS and email, and a simulated push provider. Nothing reaches a real phone.

  Open         ${url}/            (sign in with one click as the Demo Technician)
  Demo phone   ${url}/demo/phone      (texts, emails and push prompts land here)
  API          ${url}/api/openapi.json
  API token    ${token}
               (technician role, for the CLI and curl; a new one is printed on every start)

Or from another terminal in this folder:
  export VERITY_SERVER=${url} VERITY_TOKEN=${token}
  npm run -s verity -- verify --user jane.doe@acme.example --method sms --ticket 1042
  npm run -s verity -- audit verify --demo
Hit a limit while trying things? Restart with: npm start -- --reset
Press Ctrl+C to stop.
======================================================================================`;
}

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it, type TestContext } from "node:test";
import pg from "pg";
import { parse, parseDocument } from "yaml";
import { PACKAGE_ROOT } from "../../src/config/demo.js";
import { migrationProvider } from "../../src/store/migrations.js";
import { envPairs, execForm, readDockerfile, type Stage } from "../helpers/dockerfile.js";
import { freePort } from "../helpers/net.js";
import { testPostgres } from "../helpers/postgres.js";
import { describeUnless } from "../helpers/skip.js";

/**
 * The container image's own install and start steps, run without Docker (none runs where Verity
 * is developed, and its base images cannot be pulled there): scripts/container-build.sh, which
 * the Dockerfile runs to make /app, makes a clean folder here; then the image's ENTRYPOINT and
 * CMD start two instances from it at once on one empty PostgreSQL, as a non-root user (`postgres`
 * when the tests run as root, as the image runs as `node`), with compose's mounts and secrets.
 *
 * How the install runs without the internet, and why:
 * - `npm ci --omit=dev` is run for real, from the npm cache (npm_config_offline): the cache that
 *   installed this checkout holds every package. Copying a production subset of node_modules
 *   instead would not test the install step at all. When the cache lacks a package, the install
 *   goes to the registry if `npm ping` answers, and the tests are skipped, saying so, if not.
 * - better-sqlite3's native module would come from GitHub (not reachable here) or be compiled (a
 *   minute or more on two cores). The test serves the binary this checkout already built, as the
 *   prebuilt file of the same version, from a mirror on 127.0.0.1 named by
 *   npm_config_better_sqlite3_binary_host: the way an offline builder supplies it (docs/operations.md).
 * - npm's cache folder is a temporary one whose _cacache links to the real cache, so the prebuilt
 *   file npm stores per mirror URL does not pile up in the real cache.
 * Runs in about 20 s from a warm npm cache, about 40 s when the packages come from the registry.
 */
const postgres = await testPostgres();
const stages = readDockerfile(join(PACKAGE_ROOT, "Dockerfile"));
const runtimeStage = stages.at(-1) as Stage;
const instruction = (keyword: string) => runtimeStage.instructions.find((i) => i.keyword === keyword)?.args ?? "";
const ENTRYPOINT = execForm(instruction("ENTRYPOINT"));
const CMD = execForm(instruction("CMD"));
const HEALTHCHECK = execForm(/CMD (\[.*\])$/.exec(instruction("HEALTHCHECK"))?.[1] ?? "[]");
const IMAGE_ENV = runtimeStage.instructions.filter((i) => i.keyword === "ENV").flatMap((i) => envPairs(i.args));
const INSTANCES = 2;

interface Instance {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dataDir: string;
  /** The container's environment, with its paths and port mapped to this instance's. */
  readonly env: NodeJS.ProcessEnv;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output(): string;
}

describeUnless("container recipe: the image's install and start steps in a clean folder, on PostgreSQL", "skip" in postgres ? postgres.skip : false, () => {
  const dir = mkdtempSync(join(tmpdir(), "verity-image-"));
  const app = join(dir, "app");
  const user = runtimeUser();
  let installSkip: string | undefined;
  let mirror: Awaited<ReturnType<typeof startPrebuildMirror>>;
  let databaseUrl: string;
  const instances: Instance[] = [];
  const skipped = (t: TestContext) => {
    if (installSkip !== undefined) t.skip(installSkip);
    return installSkip !== undefined;
  };

  before(async () => {
    chmodSync(dir, 0o755);
    mirror = await startPrebuildMirror(dir);
    const cache = join(dir, "npm-cache");
    mkdirSync(cache);
    const packages = join(process.env.npm_config_cache ?? join(homedir(), ".npm"), "_cacache");
    if (existsSync(packages)) symlinkSync(packages, join(cache, "_cacache"));
    const env = { PATH: process.env.PATH, HOME: dir, npm_config_cache: cache, npm_config_update_notifier: "false", npm_config_better_sqlite3_binary_host: mirror.url };
    let result = await buildApp(app, { ...env, npm_config_offline: "true" });
    if (result.status !== 0 && /ENOTCACHED/.test(result.output)) {
      if (spawnSync("npm", ["ping"], { encoding: "utf8", timeout: 15_000 }).status !== 0) {
        installSkip = "the npm cache lacks a production dependency and the npm registry cannot be reached (npm ping failed)";
        console.log(`# skipped: ${installSkip}`);
        return;
      }
      rmSync(app, { recursive: true, force: true });
      result = await buildApp(app, env);
    }
    assert.equal(result.status, 0, `scripts/container-build.sh failed:\n${result.output}`);
  });

  after(async () => {
    for (const instance of instances) instance.child.kill("SIGKILL");
    await mirror.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("installs the production dependencies only, with better-sqlite3's prebuilt binary, and no sources", (t) => {
    if (skipped(t)) return;
    assert.deepEqual(mirror.requests, [mirror.path], "npm rebuild better-sqlite3 fetched its prebuilt binary");
    assert.ok(existsSync(join(app, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node")));
    const lock = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, p]) => path.startsWith("node_modules/") && p.dev === true);
    assert.ok(devOnly.some(([path]) => path === "node_modules/typescript"));
    for (const [path] of devOnly) assert.ok(!existsSync(join(app, path)), `${path} (a development dependency) is not installed`);
    for (const name of ["fastify", "pg", "kysely", "zod", "pino"]) assert.ok(existsSync(join(app, "node_modules", name)), `${name} is installed`);
    assert.deepEqual(readdirSync(app).sort(), ["demo", "dist", "node_modules", "package-lock.json", "package.json", "static"]);
    assert.deepEqual(readdirSync(join(app, "dist")), ["src"]);
    assert.ok(!readdirSync(join(app, "dist", "src"), { recursive: true }).some((f) => String(f).endsWith(".map") || String(f).endsWith(".ts")));
  });

  it("starts two instances at once on one empty database: both migrate, answer /healthz and /readyz, and pass the image's HEALTHCHECK", async (t) => {
    if (skipped(t)) return;
    if (user === undefined) t.diagnostic("not root, or no postgres user: the instances run as the current user");
    assert.ok(!("skip" in postgres));
    databaseUrl = await postgres.createDatabase();
    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    instances.push(...ports.map((port, i) => startInstance(i + 1, port)));
    await Promise.all(instances.map((instance) => listening(instance)));
    for (const instance of instances) {
      if (user !== undefined) assert.equal(uidOf(instance.child.pid ?? 0), user.uid, "the server runs as the unprivileged user");
      const base = `http://127.0.0.1:${instance.port}`;
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: "ok", checks: { database: "ok" } });
      assert.equal(healthcheck(instance).status, 0, "the image's HEALTHCHECK passes");
    }
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>("select name from kysely_migration order by name");
      assert.deepEqual(rows.map((r) => r.name), Object.keys(await migrationProvider.getMigrations()).sort(), "every migration ran once");
    } finally {
      await client.end();
    }
  });

  it("a token made with the CLI in instance 1's container works on instance 2: state is shared through PostgreSQL", async (t) => {
    if (skipped(t)) return;
    const [first, second] = instances as [Instance, Instance];
    // `docker compose exec verity-1 node dist/src/cli/bin.js token create …`: VERITY_CONFIG finds the file.
    const created = spawnSync(process.execPath, [...ENTRYPOINT.slice(1), "token", "create", "--name", "Image Auditor", "--role", "auditor"], {
      cwd: app,
      env: first.env,
      encoding: "utf8",
      timeout: 20_000,
      ...user,
    });
    assert.equal(created.status, 0, created.stderr);
    const response = await fetch(`http://127.0.0.1:${second.port}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${created.stdout.trim()}` } });
    assert.equal(response.status, 200);
    const report = (await response.json()) as { ok: boolean; count: number };
    assert.equal(report.ok, true);
    assert.ok(report.count >= 1, "the token's creation is in the shared audit log");
  });

  it("SIGTERM stops both with exit status 0 within 5 s, and each exports the audit chain's head to its data volume on the way out", async (t) => {
    if (skipped(t)) return;
    const sent = Date.now();
    for (const instance of instances) instance.child.kill("SIGTERM");
    for (const instance of instances) {
      const { code, signal, at } = await instance.exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, instance.output());
      assert.ok(at - sent < 5000, `stopped in ${at - sent} ms`);
      const anchors = join(instance.dataDir, "audit-anchors.jsonl");
      const last = readFileSync(anchors, "utf8").trim().split("\n").at(-1) ?? "";
      assert.ok((JSON.parse(last) as { seq: number }).seq >= 1);
      if (user !== undefined) assert.equal(statSync(anchors).uid, user.uid);
      assert.notEqual(healthcheck(instance).status, 0, "the HEALTHCHECK fails once the server is gone");
    }
  });

  /** One container: compose's mounts in its own /etc/verity, its own data volume, compose's environment. */
  function startInstance(n: number, port: number): Instance {
    const etc = join(dir, `etc-${n}`);
    const dataDir = join(dir, `data-${n}`);
    mkdirSync(etc);
    mkdirSync(dataDir, { mode: 0o700 });
    const compose = parse(readFileSync(join(PACKAGE_ROOT, "compose.yaml"), "utf8"), { merge: true }) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string> }> };
    const service = compose.services[`verity-${n}`];
    assert.ok(service !== undefined, `compose.yaml has verity-${n}`);
    for (const mount of service.volumes ?? []) {
      const [from = "", to = ""] = mount.split(":");
      if (from.startsWith("./") && to.startsWith("/etc/verity/")) copyFileSync(join(PACKAGE_ROOT, from), join(etc, to.slice("/etc/verity/".length)));
    }
    // The one file is mounted in both containers, each listening on 8787 in its own network; here
    // they share the host, so each gets its own port, and its data folder is its volume's stand-in.
    const config = parseDocument(readFileSync(join(etc, "verity.yaml"), "utf8"));
    config.set("dataDir", dataDir);
    config.setIn(["server", "port"], port);
    writeFileSync(join(etc, "verity.yaml"), config.toString());
    const mapped = (value: string) => value.replace("/etc/verity", etc).replace("/var/lib/verity", dataDir).replace(":8787/", `:${port}/`);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...Object.fromEntries(IMAGE_ENV.map(([k, v]) => [k, mapped(v)])) };
    assert.ok(service.environment?.VERITY_DATABASE_URL !== undefined && service.environment.VERITY_HASH_KEY !== undefined);
    env.VERITY_DATABASE_URL = databaseUrl;
    const hashKey = "container-recipe-test-hash-key-0123456789";
    if (n === 1) env.VERITY_HASH_KEY = hashKey;
    else {
      // The other way compose.yaml offers: a secret file named by VERITY_HASH_KEY_FILE.
      writeFileSync(join(dir, `hash-key-${n}`), `${hashKey}\n`, { mode: 0o400 });
      env.VERITY_HASH_KEY_FILE = join(dir, `hash-key-${n}`);
      if (user !== undefined) chownSync(join(dir, `hash-key-${n}`), user.uid, user.gid);
    }
    if (user !== undefined) chownSync(dataDir, user.uid, user.gid);
    // The CMD as written, but on loopback: a test binds nothing beyond this machine.
    const args = CMD.map((arg) => (arg === "0.0.0.0" ? "127.0.0.1" : mapped(arg)));
    assert.equal(ENTRYPOINT[0], "node");
    const child = spawn(process.execPath, [...ENTRYPOINT.slice(1), ...args], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"], ...user });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    return { child, port, dataDir, env, exited, output: () => output };
  }

  function healthcheck(instance: Instance) {
    assert.equal(HEALTHCHECK[0], "node");
    return spawnSync(process.execPath, HEALTHCHECK.slice(1), { env: instance.env, encoding: "utf8", timeout: 10_000 });
  }
});

/** Runs the image's build script, making `target` from this checkout (not spawnSync: the mirror answers from this process). */
function buildApp(target: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", [join(PACKAGE_ROOT, "scripts", "container-build.sh"), PACKAGE_ROOT, target], { env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** The user the servers run as: `postgres` when the tests run as root (the image runs as `node`). */
function runtimeUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function uidOf(pid: number): number {
  const line = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(line?.[1]);
}

function listening(instance: Instance, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance on ${instance.port} did not start:\n${instance.output()}`)), timeoutMs);
    const poll = setInterval(() => {
      if (!/listening on http:\/\//.test(instance.output())) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    }, 50);
    void instance.exited.then(({ code }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`instance on ${instance.port} exited with ${code}:\n${instance.output()}`));
    });
  });
}

/**
 * A mirror of better-sqlite3's prebuilt binaries on 127.0.0.1, serving this checkout's own build
 * of the locked version under the name prebuild-install asks for. Only that file is served.
 */
async function startPrebuildMirror(dir: string) {
  const lock = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const version = lock.packages["node_modules/better-sqlite3"]?.version ?? "";
  const built = join(PACKAGE_ROOT, "node_modules", "better-sqlite3");
  const installed = (JSON.parse(readFileSync(join(built, "package.json"), "utf8")) as { version: string }).version;
  assert.equal(installed, version, "node_modules holds the locked better-sqlite3 (run npm ci)");
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tarball = join(dir, name);
  const packed = spawnSync("tar", ["-czf", tarball, "-C", built, "build/Release/better_sqlite3.node"], { encoding: "utf8" });
  assert.equal(packed.status, 0, packed.stderr);
  const path = `/v${version}/${name}`;
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    if (request.url !== path) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/gzip" });
    createReadStream(tarball).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, path, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

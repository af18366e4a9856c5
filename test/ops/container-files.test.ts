import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PACKAGE_ROOT } from "../../src/config/demo.js";
import { loadConfigFile } from "../../src/config/load.js";
import { envPairs, execForm, readDockerfile, type Stage } from "../helpers/dockerfile.js";

/**
 * The container recipe's files agree with each other and with Verity: what the Dockerfile copies
 * is let in by .dockerignore, the image runs `verity serve` as a non-root user on the path compose
 * mounts the configuration at, and compose's two instances get every secret the example
 * configuration asks for. No Docker is needed (none runs where Verity is developed);
 * container-recipe.test.ts runs the image's install and start steps themselves.
 */
const DOCKERFILE = join(PACKAGE_ROOT, "Dockerfile");
const stages = readDockerfile(DOCKERFILE);
const runtime = stages.at(-1) as Stage;
const build = stages.find((s) => s.name === "build");
const one = (stage: Stage, keyword: string) => {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `the ${stage.name ?? "runtime"} stage has one ${keyword}`);
  return (found[0] as { args: string }).args;
};

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}

describe("container recipe: Dockerfile, .dockerignore and compose.yaml", () => {
  it("the runtime stage is a slim Node ≥ 20.19 image running verity serve as a non-root user, with a health check and a data volume", () => {
    const base = /^node:(\d+)(?:\.(\d+))?[^:]*-slim$/.exec(runtime.from);
    assert.ok(base, `a slim Node base image, not ${runtime.from}`);
    const [major, minor] = [Number(base[1]), base[2] === undefined ? undefined : Number(base[2])];
    assert.ok(major > 20 || (major === 20 && (minor === undefined || minor >= 19)), `Node ≥ 20.19 (${runtime.from})`);
    const user = one(runtime, "USER");
    assert.ok(!["root", "0", "0:0"].includes(user), `runs as ${user}`);
    assert.deepEqual(execForm(one(runtime, "ENTRYPOINT")), ["node", "dist/src/cli/bin.js"]);
    assert.deepEqual(execForm(one(runtime, "CMD")), ["serve", "--config", "/etc/verity/verity.yaml", "--host", "0.0.0.0"]);
    assert.deepEqual(execForm(one(runtime, "VOLUME")), ["/var/lib/verity"]);
    const health = /^(?:--\S+\s+)*CMD (\[.*\])$/.exec(one(runtime, "HEALTHCHECK"));
    assert.ok(health?.[1] !== undefined, "HEALTHCHECK CMD in exec form");
    const check = execForm(health[1]);
    assert.equal(check[0], "node", "no curl in a slim image: the check is Node's");
    const env = new Map(runtime.instructions.filter((i) => i.keyword === "ENV").flatMap((i) => envPairs(i.args)));
    assert.equal(env.get("VERITY_HEALTH_URL"), "http://127.0.0.1:8787/healthz");
    assert.equal(env.get("VERITY_CONFIG"), "/etc/verity/verity.yaml", "CLI commands in the container find serve's configuration");
    // Nothing is installed in the runtime stage: it takes /app, made by the shared script, whole.
    assert.deepEqual(runtime.instructions.filter((i) => i.keyword === "RUN" && /\bnpm\b/.test(i.args)), []);
    assert.ok(runtime.instructions.some((i) => i.keyword === "COPY" && i.args === "--from=build /app /app"));
    assert.ok(build?.instructions.some((i) => i.keyword === "RUN" && i.args === "sh scripts/container-build.sh /src /app"), "the build stage runs scripts/container-build.sh");
  });

  it(".dockerignore lets in what the Dockerfile copies and nothing that may hold a secret", () => {
    const lines = readFileSync(join(PACKAGE_ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(lines[0], "*", "an allowlist: everything is left out unless named");
    const allowed = lines.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, ""));
    const sent = (path: string) => allowed.some((a) => path === a || path.startsWith(`${a}/`));
    const copied = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(" ").slice(0, -1));
    assert.ok(copied.length >= 5);
    for (const path of copied) {
      assert.ok(existsSync(join(PACKAGE_ROOT, path)), `${path} exists`);
      assert.ok(sent(path), `${path} reaches the builder`);
    }
    for (const path of ["verity.yaml", ".env", "node_modules", "data", "dist", ".git", "test", "examples/verity.compose.yaml"]) {
      assert.ok(!sent(path), `${path} stays out of the build context`);
    }
  });

  it("compose.yaml runs PostgreSQL 15 and two instances of the image on the example configuration, each secret given", () => {
    const compose = parse(readFileSync(join(PACKAGE_ROOT, "compose.yaml"), "utf8"), { merge: true }) as { services: Record<string, ComposeService> };
    assert.match(compose.services.postgres?.image ?? "", /^postgres:15(\b|-)/);
    const instances = Object.entries(compose.services).filter(([, s]) => s.build === ".");
    assert.equal(instances.length, 2, "two Verity instances built from this folder");
    const configMount = "./examples/verity.compose.yaml:/etc/verity/verity.yaml:ro";
    const configFile = join(PACKAGE_ROOT, "examples", "verity.compose.yaml");
    const raw = readFileSync(configFile, "utf8");
    const referenced = [...raw.matchAll(/^[^#\n]*\$\{(\w+)\}/gm)].map((m) => m[1] ?? "");
    assert.deepEqual(referenced.sort(), ["VERITY_DATABASE_URL", "VERITY_HASH_KEY"]);
    const config = parse(raw) as { dataDir: string; server: { port: number }; tenants: { directory: { path: string } }[] };
    assert.equal(config.dataDir, "/var/lib/verity", "the data folder is the image's volume");
    const dataVolumes = new Set<string>();
    for (const [name, service] of instances) {
      assert.ok(service.volumes?.includes(configMount), `${name} mounts the example configuration read-only where CMD reads it`);
      for (const tenant of config.tenants) {
        assert.ok(service.volumes?.includes(`./examples/${tenant.directory.path}:/etc/verity/${tenant.directory.path}:ro`), `${name} mounts ${tenant.directory.path} beside it`);
      }
      const data = service.volumes?.find((v) => v.endsWith(":/var/lib/verity"));
      assert.ok(data !== undefined, `${name} keeps its data folder in a volume`);
      dataVolumes.add(data);
      for (const variable of referenced) assert.ok(service.environment?.[variable] !== undefined, `${name} is given ${variable}`);
      assert.match(service.environment?.VERITY_DATABASE_URL ?? "", /^postgres:\/\/[^@]+@postgres:5432\//);
      assert.ok(service.ports?.some((p) => p.endsWith(`:${config.server.port}`)), `${name} publishes server.port`);
    }
    assert.equal(dataVolumes.size, 2, "each instance has its own data volume");
  });

  it("the example configuration compose mounts is valid", () => {
    const env = { VERITY_DATABASE_URL: "postgres://verity:secret@postgres:5432/verity", VERITY_HASH_KEY: "k".repeat(40) };
    const loaded = loadConfigFile(join(PACKAGE_ROOT, "examples", "verity.compose.yaml"), env);
    assert.equal(loaded.config.database.url, env.VERITY_DATABASE_URL);
    assert.equal(loaded.config.server.host, "0.0.0.0");
    assert.deepEqual(loaded.warnings, [], "no secret is written in the file");
  });

  it("the shared build script is what the Dockerfile runs, and refuses a checkout that was not built", () => {
    assert.ok(readdirSync(join(PACKAGE_ROOT, "scripts")).includes("container-build.sh"));
    const result = spawnSync("sh", [join(PACKAGE_ROOT, "scripts", "container-build.sh"), "/nonexistent-verity-checkout", "/nonexistent-verity-app"], { encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /dist\/src\/cli\/bin\.js is missing: run npm run build first/);
  });
});

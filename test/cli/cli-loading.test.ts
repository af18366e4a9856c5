import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { BIN } from "../helpers/cli.js";
import { TEST_DIRECTORY_YAML } from "../helpers/fixtures.js";
import { testConfig } from "../helpers/runtime.js";

const REGISTER = fileURLToPath(new URL("../helpers/module-log.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "verity-cli-loading-"));
writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
const configPath = join(dir, "verity.yaml");
// Console and simulated providers, a file directory, one HaloPSA system: what such a desk names.
writeFileSync(
  configPath,
  stringify({
    ...testConfig(dir),
    ticketing: { halo: { kind: "halopsa", authUrl: "http://127.0.0.1:9/auth", apiUrl: "http://127.0.0.1:9/api", clientId: "c", clientSecret: "s".repeat(24), webhook: { kind: "basic", username: "halo", password: "p".repeat(24) } } },
  }),
);

/** Runs `verity <args>` and returns its exit code and every ES module it loaded. */
function modulesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const log = join(dir, `modules-${randomUUID()}.txt`);
  writeFileSync(log, "");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", REGISTER, BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VERITY_CONFIG: configPath, VERITY_TEST_MODULE_LOG: log },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr, modules: readFileSync(log, "utf8").split("\n").filter((l) => l !== "") }));
  });
}

const loaded = (modules: string[], fragment: string) => modules.filter((url) => url.includes(fragment));

/**
 * Issue 13: a command loads what it uses. `--help` and `--version` load neither the configuration
 * schema nor the store; a local command loads the adapters of the kinds its configuration names
 * and no others.
 */
describe("what a CLI command loads", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--version and a command's --help load neither zod, the schema, the store nor any adapter", async () => {
    for (const args of [["--version"], ["verify", "--help"], ["lookup", "--help"]]) {
      const { code, modules } = await modulesLoadedBy(args);
      assert.equal(code, 0, args.join(" "));
      assert.ok(loaded(modules, "/src/cli/main.js").length === 1, "the hook sees the CLI's own modules");
      for (const heavy of ["/node_modules/zod/", "/node_modules/kysely/", "/src/config/schema.js", "/src/main.js", "/src/adapters/", "/node_modules/fastify/"]) {
        assert.deepEqual(loaded(modules, heavy), [], `${args.join(" ")} loaded ${heavy}`);
      }
    }
  });

  it("a local lookup loads the configured kinds' adapters only, and no web server", async () => {
    const { code, stderr, modules } = await modulesLoadedBy(["lookup", "jane@acme.test"]);
    assert.equal(code, 0, stderr);
    for (const used of ["/adapters/channel/console/", "/adapters/push/simulated/", "/adapters/directory/file/", "/adapters/ticketing/halopsa/halopsa-client.js"]) {
      assert.ok(loaded(modules, used).length > 0, `${used} should be loaded`);
    }
    // Each kind's configuration schema (…-config.js) is part of the configuration schema; its
    // client, channel or provider is not loaded unless the kind is configured.
    for (const unused of [
      "/adapters/channel/twilio-sms/twilio-sms-channel.js",
      "/adapters/channel/smtp/smtp-email-channel.js",
      "/adapters/push/okta/okta-push-provider.js",
      "/adapters/push/duo/duo-push-provider.js",
      "/adapters/push/vip/vip-push-provider.js",
      "/adapters/push/entra-mfa/entra-mfa-push.js",
      "/adapters/directory/entra/entra-directory.js",
      "/adapters/directory/okta/okta-directory.js",
      "/adapters/ticketing/servicenow/servicenow-client.js",
      "/adapters/ticketing/connectwise/connectwise-client.js",
      "/adapters/notify/webhook/",
      "/adapters/notify/email/",
      "/adapters/sso/sso-client.js",
      "/node_modules/nodemailer/",
      "/node_modules/fastify/",
      "/src/http/build-app.js",
    ]) {
      assert.deepEqual(loaded(modules, unused), [], `${unused} should not be loaded`);
    }
  });
});

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { createSimulatedPushProvider } from "../../src/adapters/push/simulated/simulated-push.js";
import { loadConfigFile } from "../../src/config/load.js";
import { systemClock } from "../../src/domain/ports.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { BIN, runCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_DIRECTORY_YAML, TEST_USERS } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { ROOMY_LIMITS, testConfig } from "../helpers/runtime.js";

const dir = mkdtempSync(join(tmpdir(), "verity-cli-flows-"));
writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
const configPath = join(dir, "verity.yaml");
writeFileSync(configPath, stringify(testConfig(dir, ROOMY_LIMITS)));
const dataDir = join(dir, "data");
type CliOptions = Omit<Parameters<typeof runCli>[1], "cwd">;
const cli = (args: string[], options: CliOptions = {}) =>
  runCli(args, { cwd: dir, ...options, env: { VERITY_CONFIG: configPath, VERITY_TECHNICIAN: "Terry Tech", ...options.env } });
const outbox = () => readOutbox(join(dataDir, "dev-outbox.jsonl"), 10_000);
const codeAfter = (count: number) =>
  waitFor(async () => {
    const messages = await outbox();
    return messages.length > count ? messages[0]?.text.match(/\b(\d{6})\b/)?.[1] : undefined;
  });
const phone = () => createSimulatedPushProvider({ name: "phone", dir: join(dataDir, "dev-simulated", "phone"), clock: systemClock });

/** Issue 9 #15, #17, #19, #20, #24, #27 and #28: the CLI as technicians and pushpoll scripts use it. */
describe("verity CLI flows", () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await createRuntime(loadConfigFile(configPath, {}), { logDestination: captureLogs().stream, print: () => {} });
  });
  after(() => runtime.close());
  const events = () => listAuditEvents(runtime.database.db, { limit: 10_000 });

  it("#19: exits 4 while policy requires a second method, and says when the second one satisfies it", async () => {
    const before = (await outbox()).length;
    const first = await cli(["verify", "-u", TEST_USERS.sam.upn, "--method", "sms"], {
      interact: async (child) => {
        child.stdin.write(`${await codeAfter(before)}\n`);
      },
    });
    assert.equal(first.code, 4, first.stdout + first.stderr);
    assert.match(first.stdout, /VERIFIED: Sam Patel proved possession/);
    assert.match(first.stdout, /NOT YET SATISFIED: policy requires a second, different method for Sam Patel/);
    const second = await cli(["verify", "-u", TEST_USERS.sam.upn, "--method", "simulated-passcode"], {
      interact: async (child) => {
        child.stdin.write(`${await phone().currentPasscode(TEST_USERS.sam.upn)}\n`);
      },
    });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /Policy satisfied: a second, different method \(sms, verification [0-9a-f-]{36}\) also verified Sam Patel\./);
  });

  it("#20: Ctrl-C at the code prompt cancels the verification (audited) and exits 130", async () => {
    const before = (await outbox()).length;
    const result = await cli(["verify", "-u", TEST_USERS.chris.upn, "--method", "sms"], {
      interact: async (child, output) => {
        await codeAfter(before);
        await waitFor(() => output().includes("Code read back by the caller"));
        child.kill("SIGINT");
      },
    });
    assert.equal(result.code, 130, result.stdout + result.stderr);
    assert.match(result.stdout, /INTERRUPTED: the verification was cancelled; its code no longer works\./);
    const cancelled = (await events()).filter((e) => e.action === "verification.cancelled" && e.reason === "cancelled in the CLI (interrupted)");
    assert.equal(cancelled.length, 1);
  });

  it("#20: the end of input at the code prompt cancels the verification", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.chris.upn, "--method", "sms"], { stdin: "" });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /No code was entered \(end of input\); the verification was cancelled/);
    assert.ok((await events()).some((e) => e.action === "verification.cancelled" && e.reason?.includes("input ended") === true));
  });

  it("#24: verity check finishes a verification started elsewhere, with the same exit codes", async () => {
    const before = (await outbox()).length;
    const halo = { id: "halopsa:halo", name: "HaloPSA", role: "admin" as const, tenants: null };
    const started = await runtime.engine.start(halo, { user: TEST_USERS.jane.upn, method: "sms", technician: "Alice Agent" });
    const code = await codeAfter(before);
    const result = await cli(["check", started.id], { stdin: `${code === "000000" ? "111111" : "000000"}\n${code}\n` });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /That code is not right\. 4 checks left\./);
    assert.match(result.stdout, /VERIFIED: Jane Doe proved possession/);
    const again = await cli(["check", started.id]);
    assert.equal(again.code, 0, "an ended verification reports its outcome");
    assert.equal((await cli(["check", "not-an-id"])).code, 64);
  });

  it("#27: a local push needs the technician's name, and never shows the login name", async () => {
    const refused = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push"], { env: { VERITY_TECHNICIAN: "" } });
    assert.equal(refused.code, 64);
    assert.match(refused.stderr, /pass --technician NAME or set VERITY_TECHNICIAN/);
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push", "--technician", "Tom Jones"], {
      interact: async () => {
        const prompt = await waitFor(async () => (await phone().pendingPrompts()).find((p) => p.providerUserId === "jane"));
        assert.match(prompt.message, /^Tom at the service desk/);
        await phone().answer(prompt.id, { decision: "approve", number: prompt.challenge });
      },
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it("#28: prints pushpoll's lines word for word, with a wait line every 3 seconds", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push"], {
      timeoutMs: 30_000,
      interact: async (_child, output) => {
        const prompt = await waitFor(async () => (await phone().pendingPrompts()).find((p) => p.providerUserId === "jane"));
        // Answer only once the CLI has waited through two intervals (three wait lines).
        await waitFor(() => (output().match(/^Waiting for response\.\.\.$/gm)?.length ?? 0) >= 3 || undefined, 20_000);
        await phone().answer(prompt.id, { decision: "deny" });
      },
    });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines[0], `Push Initiated for ${TEST_USERS.jane.upn} [DEMO: development-only channel, nothing is really sent]`);
    assert.ok(lines.filter((l) => l === "Waiting for response...").length >= 3, lines.join("\n"));
    assert.equal(lines.at(-1), `Push Denied by ${TEST_USERS.jane.upn}`);
  });

  it("warns that custom push text is off and words the push in the organisation's own way", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push", "-t", "Title", "-m", "IT is calling you: approve"], {
      interact: async () => {
        const prompt = await waitFor(async () => (await phone().pendingPrompts()).find((p) => p.providerUserId === "jane"));
        assert.doesNotMatch(prompt.message, /IT is calling you/);
        await phone().answer(prompt.id, { decision: "approve", number: prompt.challenge });
      },
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stderr, /custom push text is turned off here/);
  });

  it("#17: --demo and --config win over VERITY_SERVER", async () => {
    const demo = await cli(["audit", "verify", "--demo"], { env: { VERITY_SERVER: "http://127.0.0.1:9", VERITY_TOKEN: "vrt_x" } });
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    assert.match(demo.stdout, /Audit chain OK/);
    const config = await cli(["lookup", TEST_USERS.jane.upn, "--config", configPath], { env: { VERITY_SERVER: "http://127.0.0.1:9" } });
    assert.equal(config.code, 0, config.stderr);
    assert.equal((await cli(["lookup", "x", "--demo", "--server", "http://127.0.0.1:9"])).code, 64);
  });

  it("#15: a reader that goes away ends the CLI quietly, without a stack trace", async () => {
    const child = spawn(process.execPath, [BIN, "--help"], { cwd: dir, env: { PATH: process.env.PATH } });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.ok(code === 141 || code === 0, `exit ${code}`);
    assert.doesNotMatch(stderr, /Unhandled|EPIPE|\n\s+at /);
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import { stringify } from "yaml";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { createSimulatedPushProvider } from "../../src/adapters/push/simulated/simulated-push.js";
import { csvCell } from "../../src/cli/audit-format.js";
import { loadConfigFile } from "../../src/config/load.js";
import { systemClock } from "../../src/domain/ports.js";
import { listen } from "../helpers/server.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { runCli } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_DIRECTORY_YAML, TEST_USERS } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { ROOMY_LIMITS, testConfig } from "../helpers/runtime.js";

const dir = mkdtempSync(join(tmpdir(), "verity-cli-"));
writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
const configPath = join(dir, "verity.yaml");
writeFileSync(configPath, stringify(testConfig(dir, { verification: { ...ROOMY_LIMITS.verification, allowCustomPushText: true } })));
const dataDir = join(dir, "data");
type CliOptions = Omit<Parameters<typeof runCli>[1], "cwd">;
const cli = (args: string[], options: CliOptions = {}) => runCli(args, { cwd: dir, env: { VERITY_CONFIG: configPath, VERITY_TECHNICIAN: "Terry Tech" }, ...options });

const outboxCount = async () => (await readOutbox(join(dataDir, "dev-outbox.jsonl"), 10_000)).length;
const latestCodeAfter = async (count: number) =>
  waitFor(async () => {
    const messages = await readOutbox(join(dataDir, "dev-outbox.jsonl"), 10_000);
    return messages.length > count ? messages[0]?.text.match(/\b(\d{6})\b/)?.[1] : undefined;
  });

describe("verity CLI: help and usage", () => {
  it("prints help for the program and every command", async () => {
    const main = await cli(["--help"]);
    assert.equal(main.code, 0);
    for (const command of ["serve", "demo", "verify", "check", "lookup", "audit", "config", "token", "user"]) {
      assert.match(main.stdout, new RegExp(`\\n  ${command} `));
      const help = await cli([command, "--help"]);
      assert.equal(help.code, 0, `${command} --help`);
      assert.match(help.stdout, /^Usage: verity /);
    }
  });

  it("exits 64 on usage errors, with the command's help", async () => {
    assert.equal((await cli(["frobnicate"])).code, 64);
    const noUser = await cli(["verify", "--method", "sms"]);
    assert.equal(noUser.code, 64);
    assert.match(noUser.stderr, /--user is required[\s\S]*Usage: verity verify/);
    assert.equal((await cli(["verify", "--user", "a", "--method", "sms", "--bogus"])).code, 64);
    assert.equal((await cli(["verify", "--user", "a", "--method", "sms", "--timeout", "soon"])).code, 64);
    assert.equal((await cli([])).code, 64);
  });
});

describe("verity config check", () => {
  it("accepts a valid configuration and describes it", async () => {
    const result = await cli(["config", "check"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Configuration OK/);
    assert.match(result.stdout, /acme \(Acme Test\): 5 users; methods sms, email, simulated-push, simulated-passcode/);
    assert.match(result.stdout, /DEVELOPMENT ONLY/);
  });

  it("lists every problem with its path and exits 78, never printing a secret", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      stringify({
        server: { port: "eighty" },
        security: { hashKey: "${SHORT_SECRET}" },
        providers: { console: { kind: "console" } },
        tenants: [{ id: "acme", name: "Acme", directory: { kind: "file", path: "directory.yaml" }, methods: { sms: "twilio" }, colour: "blue" }],
        database: { url: "${MISSING_DB_URL}" },
      }),
    );
    const result = await runCli(["config", "check", "--config", bad], { cwd: dir, env: { SHORT_SECRET: "hunter2-is-secret" } });
    assert.equal(result.code, 78);
    for (const path of ["server.port", "security.hashKey", "tenants[0].methods.sms", "tenants[0]", "database.url"]) {
      assert.ok(result.stderr.includes(`  ${path}:`), `reports ${path}:\n${result.stderr}`);
    }
    assert.match(result.stderr, /MISSING_DB_URL is not set/);
    assert.ok(!result.stderr.includes("hunter2") && !result.stdout.includes("hunter2"));
  });

  it("reports problems in a directory file", async () => {
    const dirFile = join(dir, "bad-directory.yaml");
    writeFileSync(dirFile, "users:\n  - { id: a, upn: a@acme.test, displayName: A, phones: { mobile: '+44 12' } }\n");
    const config = join(dir, "bad-dir.yaml");
    writeFileSync(config, stringify({ ...testConfig(dir), tenants: [{ id: "acme", name: "A", directory: { kind: "file", path: dirFile }, methods: { sms: "console" } }] }));
    const result = await runCli(["config", "check", "--config", config], { cwd: dir });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /users\[0\]\.phones\.mobile/);
  });

  it("exits 78 from any command when the configuration is invalid", async () => {
    const result = await runCli(["lookup", "jane@acme.test"], { cwd: dir, env: { VERITY_CONFIG: join(dir, "absent.yaml") } });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /does not exist/);
  });
});

describe("verity verify on the local store", () => {
  it("verifies a caller by SMS, prompting for the code read back", async () => {
    const before = await outboxCount();
    const result = await cli(["verify", "--user", TEST_USERS.jane.upn, "--method", "sms", "--ticket", "T-1"], {
      interact: async (child) => {
        const code = await latestCodeAfter(before);
        child.stdin.write(`${code === "000000" ? "111111" : "000000"}\n`);
        child.stdin.write("12ab\n");
        child.stdin.write(`${code}\n`);
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Code sent by SMS to \+44 ••••• ••0001 for Jane Doe/);
    assert.match(result.stdout, /That code is not right\. 4 checks left\./);
    assert.match(result.stdout, /no check was used/);
    assert.match(result.stdout, /VERIFIED: Jane Doe proved possession of \+44 ••••• ••0001\./);
  });

  it("exits 1 after five wrong codes", async () => {
    const before = await outboxCount();
    const result = await cli(["verify", "-u", TEST_USERS.chris.upn, "--method", "sms"], {
      interact: async (child) => {
        const code = await latestCodeAfter(before);
        const wrong = code === "000000" ? "111111" : "000000";
        for (let i = 0; i < 5; i += 1) child.stdin.write(`${wrong}\n`);
      },
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /REJECTED: too many incorrect codes/);
  });

  it("exits 2 when no code arrives in time", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "sms", "--timeout", "1"], {
      interact: async () => {},
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stdout, /TIMED OUT/);
  });

  it("exits 3 when the input ends before a code", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "sms"], { stdin: "" });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /No code was entered/);
  });

  it("exits 3 with a clear message for a user without the factor", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.alex.upn, "--method", "sms"]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /only an office phone registered.*\(NO_USABLE_FACTOR\)/);
  });

  const answerPush = (decision: "approve" | "deny") => async () => {
    const phone = createSimulatedPushProvider({ name: "phone", dir: join(dataDir, "dev-simulated", "phone"), clock: systemClock });
    const prompt = await waitFor(async () => (await phone.pendingPrompts()).find((p) => p.providerUserId === "jane"));
    await phone.answer(prompt.id, decision === "approve" ? { decision, number: prompt.challenge } : { decision });
  };

  it("waits for a push like pushpoll and exits 0 when it is approved", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push"], { interact: answerPush("approve") });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Push Initiated for jane@acme\.test/m);
    assert.match(result.stdout, /^Waiting for response\.\.\.$/m);
    assert.match(result.stdout, /^SUCCESS! Push Accepted by jane@acme\.test$/m);
  });

  it("words the push with -t and -m, as pushpoll did", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "-m", "Please verify your identity by approving this request.", "-t", "YourCompany Service Desk", "--method", "simulated-push"], {
      interact: async () => {
        const phone = createSimulatedPushProvider({ name: "phone", dir: join(dataDir, "dev-simulated", "phone"), clock: systemClock });
        const prompt = await waitFor(async () => (await phone.pendingPrompts()).find((p) => p.title === "YourCompany Service Desk"));
        assert.equal(prompt.message, "Please verify your identity by approving this request.");
        await phone.answer(prompt.id, { decision: "approve", number: prompt.challenge });
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^SUCCESS! Push Accepted by jane@acme\.test$/m);
  });

  it("exits 1 when the push is denied", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push"], { interact: answerPush("deny") });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^Push Denied by jane@acme\.test$/m);
  });

  it("exits 2 when nobody answers the push", async () => {
    const result = await cli(["verify", "-u", TEST_USERS.chris.upn, "--method", "simulated-push", "--timeout", "1"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stdout, /^No response from chris@acme\.test \(timed out\)$/m);
  });

  it("looks a user up with masked factors", async () => {
    const result = await cli(["lookup", "jane@acme.test"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Jane Doe \(u-1\) · Acme Test/);
    assert.match(result.stdout, /mobile +\+44 ••••• ••0001/);
    assert.ok(!result.stdout.includes("900001"));
    assert.equal((await cli(["lookup", "ghost@acme.test"])).code, 3);
  });
});

describe("verity against a running server", () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let server: string;
  let token: string;

  before(async () => {
    runtime = await createRuntime(loadConfigFile(configPath, {}), { logDestination: captureLogs().stream, print: () => {} });
    ({ app, base: server } = await listen(runtime));
    token = (await runtime.tokens.create({ name: "Remote Rita", role: "technician", tenants: null }, { id: "cli:t", name: "t", role: "admin", tenants: null })).token;
  });
  after(async () => {
    await app.close();
    await runtime.close();
  });

  const remote = (args: string[], options: CliOptions = {}) =>
    runCli(args, { cwd: dir, env: { VERITY_SERVER: server, VERITY_TOKEN: token }, ...options });

  it("verifies through the API with the token from the environment", async () => {
    const before = await outboxCount();
    const result = await remote(["verify", "-u", TEST_USERS.jane.upn, "--method", "sms"], {
      interact: async (child) => {
        child.stdin.write(`${await latestCodeAfter(before)}\n`);
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /VERIFIED/);
    assert.match((await readOutbox(join(dataDir, "dev-outbox.jsonl"), 1))[0]?.text ?? "", /\(Remote, /);
  });

  it("waits for a push over Server-Sent Events", async () => {
    const result = await remote(["verify", "-u", TEST_USERS.jane.upn, "--method", "simulated-push"], {
      interact: async () => {
        const phone = runtime.dev.simulated.get("phone")!;
        const prompt = await waitFor(async () => (await phone.pendingPrompts()).find((p) => p.providerUserId === "jane"));
        await phone.answer(prompt.id, { decision: "approve", number: prompt.challenge });
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /SUCCESS! Push Accepted by jane@acme\.test/);
  });

  it("warns when the token is given on the command line, and refuses a missing token", async () => {
    const withArgv = await runCli(["lookup", "jane@acme.test", "--server", server, "--token", token], { cwd: dir });
    assert.equal(withArgv.code, 0);
    assert.match(withArgv.stderr, /--token is visible to other users/);
    const missing = await runCli(["lookup", "jane@acme.test", "--server", server], { cwd: dir });
    assert.equal(missing.code, 64);
  });

  it("maps API errors to exit 3 with their code", async () => {
    const result = await remote(["lookup", "ghost@acme.test"]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /USER_NOT_FOUND/);
  });
});

describe("verity token and audit", () => {
  it("creates a token once, lists it and revokes it", async () => {
    const created = await cli(["token", "create", "--name", "Night Shift", "--role", "technician", "--tenant", "acme"]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout.trim(), /^vrt_[A-Za-z0-9_-]{43}$/);
    assert.match(created.stderr, /shown only now/);
    const list = await cli(["token", "list"]);
    assert.match(list.stdout, /technician Night Shift  tenants=acme  active/);
    assert.ok(!list.stdout.includes(created.stdout.trim()));
    assert.equal((await cli(["token", "revoke", "--name", "Night Shift"])).code, 0);
    assert.match((await cli(["token", "list"])).stdout, /Night Shift .*revoked/);
    assert.equal((await cli(["token", "create", "--name", "x", "--role", "root"])).code, 64);
  });

  it("exports the log as CSV, JSON and JSON lines", async () => {
    const csv = await cli(["audit", "export", "--format", "csv"]);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^seq,id,at,tenantId,actor,action,/);
    assert.ok(lines.length > 10);
    const json = JSON.parse((await cli(["audit", "export", "--format", "json"])).stdout) as { seq: number }[];
    assert.equal(json.length, lines.length - 1);
    assert.deepEqual(json.map((e) => e.seq), json.map((_, i) => i + 1));
    const jsonl = (await cli(["audit", "export", "--format", "jsonl", "--tenant", "acme", "--since", "2000-01-01"])).stdout.trim().split("\n");
    assert.ok(jsonl.length > 5 && jsonl.every((l) => (JSON.parse(l) as { tenantId: string }).tenantId === "acme"));
    assert.equal((await cli(["audit", "export", "--format", "json", "--since", "2999-01-01"])).stdout.trim(), "[]");
    assert.equal((await cli(["audit", "export", "--format", "xml"])).code, 64);
  });

  it("defuses spreadsheet formulas in CSV cells", () => {
    assert.equal(csvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    assert.equal(csvCell("+1 202"), "'+1 202");
    assert.equal(csvCell("a,b"), '"a,b"');
    assert.equal(csvCell(null), "");
    assert.equal(csvCell({ b: 1, a: 2 }), '"{""a"":2,""b"":1}"');
  });

  it("verifies the chain, then names the first tampered event and exits 1", async () => {
    const ok = await cli(["audit", "verify"]);
    assert.equal(ok.code, 0, ok.stderr);
    const head = ok.stdout.match(/Head: (\d+):([0-9a-f]{64})/);
    assert.ok(head);
    assert.equal((await cli(["audit", "verify", "--anchor", `${head[1]}:${head[2]}`])).code, 0);
    const db = new Database(join(dataDir, "verity.db"));
    db.prepare("update audit_events set outcome = 'tampered' where seq = 4").run();
    db.close();
    const broken = await cli(["audit", "verify"]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /Audit chain BROKEN at event 4 /);
  });
});

describe("the shipped examples", () => {
  it("examples/verity.example.yaml passes config check", async () => {
    const example = fileURLToPath(new URL("../../../examples/verity.example.yaml", import.meta.url));
    const result = await runCli(["config", "check", "--config", example], { cwd: dir, env: { VERITY_HASH_KEY: "an-example-key-that-is-long-enough-0123456789", VERITY_SSO_CLIENT_SECRET: "sso-client-secret-value" } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /contoso \(Contoso Ltd\): 2 users/);
  });

  it("examples/verity.msp.example.yaml (Entra, Twilio, HaloPSA) passes config check", async () => {
    const example = fileURLToPath(new URL("../../../examples/verity.msp.example.yaml", import.meta.url));
    const env = {
      VERITY_DATABASE_URL: "postgres://verity@db.internal:5432/verity",
      VERITY_HASH_KEY: "an-example-key-that-is-long-enough-0123456789",
      TWILIO_AUTH_TOKEN: "twilio-auth-token-value",
      HALO_CLIENT_SECRET: "halo-client-secret-value",
      HALO_WEBHOOK_PASSWORD: "a-webhook-password-of-24-chars-or-more",
      ENTRA_CLIENT_SECRET: "entra-client-secret-value",
      DUO_SECRET_KEY: "duo-secret-key-value-0123456789abcdef0123",
      OKTA_API_TOKEN: "okta-api-token-value",
      VERITY_SSO_CLIENT_SECRET: "sso-client-secret-value",
    };
    const result = await runCli(["config", "check", "--config", example], { cwd: dir, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /contoso \(Contoso Ltd\): entra directory/);
    assert.match(result.stdout, /Ticketing halo: halopsa \(trigger: POST \/hooks\/ticketing\/halo\)/);
    for (const secret of Object.values(env)) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
  });

  it("the CSV example describes the same users as the YAML one", async () => {
    const { createFileDirectory } = await import("../../src/adapters/directory/file/file-directory.js");
    const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
    const yaml = createFileDirectory({ path: join(examples, "contoso-directory.yaml") });
    const csv = createFileDirectory({ path: join(examples, "contoso-directory.csv") });
    assert.equal(await yaml.load(), await csv.load());
    assert.deepEqual(await csv.findUser("megan@contoso.com"), await yaml.findUser("MEGAN.BOWEN@contoso.com"));
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { loadConfigFile } from "../../src/config/load.js";
import { systemClock } from "../../src/domain/ports.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { listAuditEvents } from "../../src/store/audit-dal.js";
import { runCli } from "../helpers/cli.js";
import { TEST_DIRECTORY_YAML } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { testConfig } from "../helpers/runtime.js";
import { totpCode } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
const dir = mkdtempSync(join(tmpdir(), "verity-user-cli-"));
writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
const configPath = join(dir, "verity.yaml");
writeFileSync(configPath, stringify(testConfig(dir)));
const passwordFile = join(dir, "password.txt");
writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
const cli = (args: string[], stdin = "") => runCli(args, { cwd: dir, env: { VERITY_CONFIG: configPath }, stdin });

const enrolmentOf = (stdout: string) => {
  const uri = /^URI: +(otpauth:\/\/totp\/\S+)$/m.exec(stdout)?.[1];
  const secret = /^Secret: +([A-Z2-7 ]+)$/m.exec(stdout)?.[1]?.replace(/ /g, "");
  assert.ok(uri !== undefined && secret !== undefined, stdout);
  assert.ok(uri.includes(`secret=${secret}`));
  return { uri, secret };
};

describe("verity user", () => {
  let runtime: Runtime;
  before(async () => {
    // The CLI and this runtime share the SQLite store; the CLI's changes are seen here.
    runtime = await createRuntime(loadConfigFile(configPath, {}), { logDestination: captureLogs().stream, print: () => {} });
  });
  after(async () => runtime.close());

  it("creates an account from a password file and prints the enrolment once: QR code, URI, secret", async () => {
    const result = await cli(["user", "create", "--username", "Tina", "--name", "Tina Tech", "--role", "technician", "--tenant", "acme", "--password-file", passwordFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Created technician account 'tina' \(Tina Tech, id [0-9a-f-]{36}\)/);
    assert.match(result.stderr, /shown only once/);
    assert.match(result.stdout, /[█▀▄]{20,}/, "a QR code drawn in the terminal");
    const { secret } = enrolmentOf(result.stdout);
    assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
    const user = await runtime.webUsers.signInLocal({ username: "tina", password: PASSWORD, totp: totpCode(secret, systemClock) });
    assert.deepEqual([user.displayName, user.role, user.tenants], ["Tina Tech", "technician", ["acme"]]);
  });

  it("reads the password from standard input when it is not a terminal", async () => {
    const result = await cli(["user", "create", "--username", "ava", "--name", "Ava Auditor", "--role", "auditor"], `${PASSWORD}\n`);
    assert.equal(result.code, 0, result.stderr);
    enrolmentOf(result.stdout);
  });

  it("never takes a password as an argument, and refuses bad input", async () => {
    const argv = await cli(["user", "create", "--username", "x1", "--name", "X", "--role", "admin", "--password", PASSWORD]);
    assert.equal(argv.code, 64);
    assert.match(argv.stderr, /never taken on the command line/);
    assert.equal((await cli(["user", "create", "--username", "x1", "--name", "X", "--role", "root"], PASSWORD)).code, 64);
    assert.equal((await cli(["user", "create", "--username", "x1", "--name", "X", "--role", "admin", "--tenant", "nowhere"], PASSWORD)).code, 64);
    assert.equal((await cli(["user", "create", "--username", "x1", "--name", "X", "--role", "admin"], "")).code, 64);
    const weak = await cli(["user", "create", "--username", "x1", "--name", "X", "--role", "admin"], "short\n");
    assert.equal(weak.code, 3);
    assert.match(weak.stderr, /at least 12 characters\. \(VALIDATION_FAILED\)/);
    const taken = await cli(["user", "create", "--username", "TINA", "--name", "X", "--role", "admin", "--password-file", passwordFile]);
    assert.equal(taken.code, 3);
    assert.match(taken.stderr, /CONFLICT/);
  });

  it("lists accounts, disables one (ending its sessions) and enables it again, all audited", async () => {
    const tina = await runtime.webUsers.findLocal("tina");
    assert.ok(tina !== undefined);
    const { cookie } = await runtime.webSessions.start(tina, "local");
    const list = await cli(["user", "list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${tina.id}  tina  technician Tina Tech  tenants=acme  active  last sign-in 20`, "m"));
    assert.match(list.stdout, /  ava  auditor +Ava Auditor  tenants=\*  active  last sign-in never$/m);
    const disabled = await cli(["user", "disable", "--username", "tina"]);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /Disabled 'tina'; their sessions have ended\./);
    assert.equal(await runtime.webSessions.resolve(cookie), null);
    assert.match((await cli(["user", "list"])).stdout, /tina .* disabled 20\d\d-/);
    assert.equal((await cli(["user", "enable", "--id", tina.id])).code, 0);
    const actions = (await listAuditEvents(runtime.database.db, { limit: 1000 })).filter((e) => e.action.startsWith("user.")).map((e) => e.action);
    assert.deepEqual(actions, ["user.created", "user.created", "user.disabled", "user.enabled"]);
    assert.equal((await cli(["user", "disable", "--username", "nobody"])).code, 3);
    assert.equal((await cli(["user", "disable"])).code, 64);
  });

  it("resets a TOTP secret: a new one printed once, the old one refused", async () => {
    const result = await cli(["user", "reset-totp", "--username", "ava"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /the old one no longer works/);
    const { secret } = enrolmentOf(result.stdout);
    const user = await runtime.webUsers.signInLocal({ username: "ava", password: PASSWORD, totp: totpCode(secret, systemClock) });
    assert.equal(user.role, "auditor");
    assert.equal((await cli(["user", "reset-totp", "--username", "ghost"])).code, 3);
  });
});

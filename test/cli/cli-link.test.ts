import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import { loadConfigFile } from "../../src/config/load.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { runCli } from "../helpers/cli.js";
import { acmeWithLinks } from "../helpers/confirm-link.js";
import { waitFor } from "../helpers/engine.js";
import { TEST_DIRECTORY_YAML, TEST_USERS } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/logs.js";
import { ROOMY_LIMITS, testConfig } from "../helpers/runtime.js";

const dir = mkdtempSync(join(tmpdir(), "verity-cli-link-"));
writeFileSync(join(dir, "directory.yaml"), TEST_DIRECTORY_YAML);
const configPath = join(dir, "verity.yaml");
writeFileSync(configPath, stringify(testConfig(dir, { ...ROOMY_LIMITS, server: { publicUrl: "https://verity.example.net" }, tenants: [acmeWithLinks(dir)] })));

/** Issue 12: `verity verify --method sms-link` waits for the caller's answer as it waits for a push. */
describe("verity verify --method sms-link", () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await createRuntime(loadConfigFile(configPath, {}), { logDestination: captureLogs().stream, print: () => {} });
  });
  after(() => runtime.close());

  /** The caller answers on their phone (another process: this test's runtime on the same database). */
  const answer = async (output: () => string, pick: (challenge: string, choices: readonly string[]) => { answer: "yes"; number: string } | { answer: "no" }) => {
    const challenge = await waitFor(() => /Read this number to the caller: (\d{2})/.exec(output())?.[1]);
    const message = await waitFor(async () => (await readOutbox(join(dir, "data", "dev-outbox.jsonl"), 100)).find((m) => /\/c\/[0-9a-f-]{36}\./.test(m.text) && m.text.length > 0));
    const ref = /\/c\/(\S+)/.exec(message.text)?.[1] ?? "";
    const page = await runtime.engine.openLink(ref);
    await runtime.engine.answerLink(ref, page.nonce, pick(challenge, page.choices));
  };

  it("prints the number to read out, waits, and reports the verification", async () => {
    const result = await runCli(["verify", "-u", TEST_USERS.jane.upn, "--method", "sms-link", "--ticket", "1042"], {
      cwd: dir,
      env: { VERITY_CONFIG: configPath, VERITY_TECHNICIAN: "Terry Tech" },
      interact: async (child, output) => {
        await answer(output, (challenge) => ({ answer: "yes", number: challenge }));
        child.stdin.end();
      },
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Confirmation link sent by SMS to \+44 ••••• ••0001 for Jane Doe/);
    assert.match(result.stdout, /Waiting for response\.\.\./);
    assert.match(result.stdout, /VERIFIED: Jane Doe confirmed on the link sent to \+44 ••••• ••0001 and picked the number\./);
    assert.doesNotMatch(result.stdout, /\/c\//, "the link itself is never printed to the technician");
  });
});

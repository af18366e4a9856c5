import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createConsoleChannel } from "../../src/adapters/channel/console/console-channel.js";
import { createFileDirectory } from "../../src/adapters/directory/file/file-directory.js";
import { createSimulatedPushProvider } from "../../src/adapters/push/simulated/simulated-push.js";
import { systemClock } from "../../src/domain/ports.js";
import { TEST_DIRECTORY_YAML } from "../helpers/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "verity-probe-"));

describe("connection tests of the local integrations", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a directory file: valid with its user count, then a broken edit named by its first problem, then a missing file", async () => {
    const path = join(dir, "directory.yaml");
    writeFileSync(path, TEST_DIRECTORY_YAML);
    const directory = createFileDirectory({ path });
    await directory.load();
    assert.deepEqual(await directory.probe?.(), { ok: true, detail: `The directory file ${path} is valid and lists 5 users; edits to it take effect without a restart.` });

    writeFileSync(path, `users:\n  - { id: a, upn: not-an-email, displayName: A }\n`);
    const broken = await directory.probe?.();
    assert.equal(broken?.ok, false);
    assert.match(broken.detail, new RegExp(`^Directory file ${path}: 1 problem\\(s\\); the first: users\\[0\\]\\.upn: .+\\. Lookups use the last valid copy until it is fixed\\.$`));
    assert.equal((await directory.findUser("u-1"))?.id, "u-1", "lookups still serve the last good copy");

    rmSync(path);
    const missing = await directory.probe?.();
    assert.equal(missing?.ok, false);
    assert.equal(missing.detail, `Directory file ${path} cannot be read.`);
  });

  it("the console channel and the simulated provider say they reach no one", async () => {
    const outboxPath = join(dir, "dev-outbox.jsonl");
    const channel = createConsoleChannel({ name: "console", channels: ["sms"], outboxPath, clock: systemClock, print: () => undefined, mask: () => "" });
    const console = await channel.probe?.();
    assert.equal(console?.ok, true);
    assert.match(console.detail, /^A development channel: it sends nothing to anyone/);
    const simulated = await createSimulatedPushProvider({ name: "phone", dir: join(dir, "sim"), clock: systemClock }).probe?.();
    assert.equal(simulated?.ok, true);
    assert.match(simulated.detail, /^A development provider: pushes and codes go to the demo phone/);
  });
});

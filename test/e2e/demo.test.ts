import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";

/** What a newcomer gets from `npm start`: the demo, driven over HTTP as the README's tour does. */
describe("the DEMO (npm start)", () => {
  it("starts with no configuration, prints its URL and a token, and runs a verification", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "verity-demo-"));
    const child = spawn(process.execPath, [BIN, "demo", "--port", "0"], { cwd, env: { PATH: process.env.PATH } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const banner = await waitFor(() => /API token +(vrt_\S+)/.test(output) && output, 15_000);
      assert.match(banner, /Verity DEMO/);
      const base = banner.match(/Demo phone +(http:\/\/127\.0\.0\.1:\d+)\/demo\/phone/)?.[1];
      const token = banner.match(/API token +(vrt_\S+)/)?.[1];
      assert.ok(base !== undefined && token !== undefined, banner);
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

      const lookup = (await (await fetch(`${base}/api/v1/directory/users/jane.doe%40acme.example`, { headers })).json()) as { user: { displayName: string } };
      assert.equal(lookup.user.displayName, "Jane Doe");
      const started = (await (
        await fetch(`${base}/api/v1/verifications`, { method: "POST", headers, body: JSON.stringify({ user: "jane.doe@acme.example", method: "sms", ticket: "1042" }) })
      ).json()) as { id: string; state: string; developmentOnly: boolean };
      assert.deepEqual([started.state, started.developmentOnly], ["sent", true]);

      const inbox = (await (await fetch(`${base}/demo/api/inbox`)).json()) as { label: string; messages: { text: string; verificationId: string }[] };
      assert.match(inbox.label, /DEMO/);
      const code = inbox.messages.find((m) => m.verificationId === started.id)?.text.match(/\b(\d{6})\b/)?.[1];
      assert.ok(code !== undefined);
      assert.match(output, /\[console channel · DEVELOPMENT ONLY/);
      const checked = (await (
        await fetch(`${base}/api/v1/verifications/${started.id}/check`, { method: "POST", headers, body: JSON.stringify({ code }) })
      ).json()) as { outcome: string };
      assert.equal(checked.outcome, "verified");
      assert.match(await (await fetch(`${base}/demo/phone`)).text(), /DEMO/);
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0, output);
  });
});

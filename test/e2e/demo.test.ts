import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN } from "../helpers/cli.js";
import { waitFor } from "../helpers/engine.js";
import { freePort } from "../helpers/net.js";

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

/** A demo process in `cwd`, read until its banner shows; stop() sends Ctrl-C and gives the exit code. */
async function startDemo(cwd: string, args: string[]): Promise<{ output: () => string; exited: Promise<number | null>; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, "demo", ...args], { cwd, env: { PATH: process.env.PATH } });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await Promise.race([waitFor(() => /API token +(vrt_\S+)/.test(output) || undefined, 15_000), exited]);
  return {
    output: () => output,
    exited,
    stop: () => {
      child.kill("SIGINT");
      return exited;
    },
  };
}

describe("the DEMO for a newcomer (issue 9 #16, #18)", () => {
  it("a second start on a busy port says so and leaves the running demo's token working", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "verity-demo-busy-"));
    const port = String(await freePort());
    const first = await startDemo(cwd, ["--port", port]);
    try {
      const token = first.output().match(/API token +(vrt_\S+)/)?.[1] ?? "";
      const second = await startDemo(cwd, ["--port", port]);
      assert.equal(await second.exited, 3);
      assert.match(second.output(), /Port \d+ on 127\.0\.0\.1 is in use\. Is the demo already running\?/);
      const lookup = await fetch(`http://127.0.0.1:${port}/api/v1/directory/users/jane.doe%40acme.example`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(lookup.status, 200, "the first demo's token still works");
      const reset = await startDemo(cwd, ["--port", port, "--reset"]);
      assert.equal(await reset.exited, 3, "--reset is refused while a demo runs");
      assert.match(reset.output(), /stop it .* before --reset/);
    } finally {
      assert.equal(await first.stop(), 0);
    }
  });

  it("a limit says when to retry and how to start afresh, and --reset clears it", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "verity-demo-limit-"));
    const port = String(await freePort());
    const start = async (token: string) =>
      fetch(`http://127.0.0.1:${port}/api/v1/verifications`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ user: "jane.doe@acme.example", method: "email" }),
      });
    const demo = await startDemo(cwd, ["--port", port]);
    try {
      const token = demo.output().match(/API token +(vrt_\S+)/)?.[1] ?? "";
      for (let i = 0; i < 6; i += 1) assert.equal((await start(token)).status, 201);
      const refused = await start(token);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
      const body = (await refused.json()) as { code: string; message: string };
      assert.equal(body.code, "SEND_LIMIT_REACHED");
      assert.match(body.message, /Try again in \d+ minutes \(at \d\d:\d\d UTC\)\. \(Demo: `npm start -- --reset` starts it afresh, limits included\.\)/);
    } finally {
      await demo.stop();
    }
    const fresh = await startDemo(cwd, ["--port", port, "--reset"]);
    try {
      assert.match(fresh.output(), /Reset: removed the demo's data/);
      const token = fresh.output().match(/API token +(vrt_\S+)/)?.[1] ?? "";
      assert.equal((await start(token)).status, 201, "the limit is gone after --reset");
    } finally {
      await fresh.stop();
    }
  });
});

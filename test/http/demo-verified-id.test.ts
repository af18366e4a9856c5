import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { demoConfig } from "../../src/config/demo.js";
import { buildApp } from "../../src/http/build-app.js";
import { createRuntime, type Runtime } from "../../src/main.js";
import { freePort } from "../helpers/net.js";
import { captureLogs } from "../helpers/logs.js";
import { startCallbackSink, type CallbackSink } from "../fakes/verified-id/fake-request-service.js";

/**
 * The built-in demo's Verified ID: the real `verified-id` adapter talks over HTTP to the
 * simulated Request Service the demo server itself serves on loopback, and the demo phone's
 * wallet buttons make it send the documented callbacks.
 */
describe("the demo's simulated Verified ID Request Service", () => {
  let dir: string;
  let runtime: Runtime;
  let app: FastifyInstance;
  let base: string;
  let sink: CallbackSink;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "verity-demo-vid-"));
    const port = await freePort();
    runtime = await createRuntime(demoConfig({}, dir, port), { logDestination: captureLogs().stream, print: () => {} });
    app = await buildApp(runtime);
    await app.listen({ host: "127.0.0.1", port });
    base = `http://127.0.0.1:${port}`;
    sink = await startCallbackSink();
  });
  after(async () => {
    await app.close();
    await runtime.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const service = () => {
    const found = runtime.proofing.get("demo-faceid");
    assert.ok(found !== undefined, "the demo configures a verified-id provider");
    return found;
  };

  it("is labelled development-only and creates requests through the real adapter", async () => {
    assert.equal(service().developmentOnly, true);
    const started = await service().createPresentation({ state: "demo-state-1", subject: { upn: "jane.doe@acme.example" }, callbackUrl: sink.url });
    assert.match(started.url, /^openid-vc:\/\/\?request_uri=http:\/\/127\.0\.0\.1:\d+\/demo\/verified-id\/demo-faceid\/v1\.0\//);
    const inbox = (await (await fetch(`${base}/demo/api/inbox`)).json()) as { presentations: { id: string; for: string; clientName: string }[] };
    const listed = inbox.presentations.find((p) => p.id === started.requestId);
    assert.equal(listed?.for, "jane.doe@acme.example");
    assert.match(listed?.clientName ?? "", /DEMO/);
  });

  it("the wallet buttons send the real callbacks: a match with score 92, a failed Face Check, someone else's credential", async () => {
    const cases = [
      ["match", (body: Record<string, unknown>) => {
        assert.equal(body.requestStatus, "presentation_verified");
        assert.match(JSON.stringify(body), /"matchConfidenceScore":92/);
        assert.match(JSON.stringify(body), /"revocationId":"jane\.doe@acme\.example"/);
      }],
      ["no-match", (body: Record<string, unknown>) => {
        assert.equal(body.requestStatus, "presentation_error");
        assert.deepEqual((body.error as { code: string }).code, "claimValidationError");
      }],
      ["someone-else", (body: Record<string, unknown>) => {
        assert.equal(body.requestStatus, "presentation_verified");
        assert.match(JSON.stringify(body), /"revocationId":"someone\.else@acme\.example"/);
      }],
    ] as const;
    for (const [action, check] of cases) {
      const started = await service().createPresentation({ state: `demo-${action}`, subject: { upn: "jane.doe@acme.example" }, callbackUrl: sink.url });
      const before = sink.received.length;
      const pressed = await fetch(`${base}/demo/api/presentations/${started.requestId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action }) });
      assert.equal(pressed.status, 200, action);
      const sent = sink.received.slice(before).map((r) => r.body as Record<string, unknown>);
      assert.equal(sent[0]?.requestStatus, "request_retrieved", "the wallet opens the request first");
      const last = sent.at(-1);
      assert.ok(last !== undefined);
      assert.equal(last.state, `demo-${action}`);
      check(last);
      assert.ok(service().authenticateCallback(sink.received.at(-1)?.headers ?? {}), "with the provider's api-key");
      const again = await fetch(`${base}/demo/api/presentations/${started.requestId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action }) });
      assert.equal(again.status, 404, "a request is presented once");
    }
  });

  it("refuses a cross-origin press and an unknown action", async () => {
    const started = await service().createPresentation({ state: "demo-x", subject: { upn: "jane.doe@acme.example" }, callbackUrl: sink.url });
    const foreign = await fetch(`${base}/demo/api/presentations/${started.requestId}`, { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example" }, body: JSON.stringify({ action: "match" }) });
    assert.equal(foreign.status, 403);
    const odd = await fetch(`${base}/demo/api/presentations/${started.requestId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action: "approve" }) });
    assert.equal(odd.status, 422);
  });
});

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { checkWebhookCredentials } from "../../../src/adapters/ticketing/shared/webhook-auth.js";
import { parseHaloWebhook } from "../../../src/adapters/ticketing/halopsa/halopsa-webhook-payload.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { type FakeHalo, startFakeHalo } from "../../fakes/halopsa/fake-halo.js";
import { haloTicketPayload, postHaloWebhook, runbookBody } from "../../fakes/halopsa/halo-webhooks.js";
import { CLIENT_SECRET, haloConfig, WEBHOOK_PASSWORD } from "./halo-test-setup.js";

describe("fake HaloPSA keeps Halo's contract", () => {
  let halo: FakeHalo;
  let token: string;
  before(async () => {
    halo = await startFakeHalo({ tenant: "acme" });
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: "verity-client", client_secret: CLIENT_SECRET, scope: "all" });
    const response = await fetch(`${halo.authUrl}/token?tenant=acme`, { method: "POST", body: form });
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.deepEqual([body.token_type, body.expires_in], ["Bearer", 3600]);
    token = body.access_token;
  });
  after(() => halo.close());

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${halo.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });

  it("refuses a token request for another tenant or with a wrong secret", async () => {
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: "verity-client", client_secret: CLIENT_SECRET, scope: "all" });
    assert.equal((await fetch(`${halo.authUrl}/token?tenant=other`, { method: "POST", body: form })).status, 400);
    form.set("client_secret", "wrong");
    assert.equal((await fetch(`${halo.authUrl}/token?tenant=acme`, { method: "POST", body: form })).status, 401);
  });

  it("wants a bearer token on every API call", async () => {
    assert.equal((await fetch(`${halo.apiUrl}/Tickets/4242`)).status, 401);
    assert.equal((await api("/tickets/4242")).status, 200);
  });

  it("refuses an action without an outcome, with Halo's words, and records nothing", async () => {
    const response = await api("/Actions", { method: "POST", body: JSON.stringify([{ ticket_id: 4242, note_html: "<p>x</p>" }]) });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { ClassName: "System.Exception", Message: "An Outcome must be entered for this Action" });
    assert.equal(halo.notes(4242).length, 0);
  });

  it("wants an array body for actions", async () => {
    const response = await api("/Actions", { method: "POST", body: JSON.stringify({ ticket_id: 4242, outcome_id: 7 }) });
    assert.equal(response.status, 400);
  });

  it("pages users only when pageinate=true", async () => {
    const all = (await (await api("/Users?search=jane&pageinate=false")).json()) as { record_count: number; users: unknown[] };
    const page = (await (await api("/Users?search=jane&pageinate=true&page_size=1&page_no=2")).json()) as { record_count: number; users: unknown[] };
    assert.equal(all.users.length, all.record_count);
    assert.deepEqual([page.users.length, page.record_count], [1, all.record_count]);
  });
});

describe("webhook helpers against a receiving endpoint", () => {
  let server: Server;
  let url: string;
  const basic = haloConfig({ authUrl: "http://127.0.0.1/auth", apiUrl: "http://127.0.0.1/api" }).webhook;
  before(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        if (!checkWebhookCredentials(basic, request.headers)) return void response.writeHead(401).end();
        try {
          const parsed = parseHaloWebhook(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(parsed));
        } catch (error) {
          response.writeHead(isVerityError(error) ? error.status : 500).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/halo`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("delivers runbook and Halo bodies with Basic auth, and is refused without it", async () => {
    const auth = { kind: "basic", username: "halo", password: WEBHOOK_PASSWORD } as const;
    const runbook = await postHaloWebhook(url, runbookBody([{ email: "jane.doe@acme.example", ticketId: "4242" }]), auth);
    assert.equal(runbook.status, 200);
    assert.equal((runbook.json as { deliveries: { ticketId: number }[] }).deliveries[0]?.ticketId, 4242);
    const native = await postHaloWebhook(url, haloTicketPayload({ ticketId: 4242, agentId: 3 }), auth);
    assert.deepEqual([native.status, (native.json as { format: string }).format], [200, "halo"]);
    assert.equal((await postHaloWebhook(url, runbookBody([{ email: "a@b.example", ticketId: 1 }]), { kind: "none" })).status, 401);
    assert.equal((await postHaloWebhook(url, { nonsense: true }, auth)).status, 422);
  });
});

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { createConnectWiseTicketing } from "../../src/adapters/ticketing/connectwise/connectwise-ticketing.js";
import type { ConnectWiseClient } from "../../src/adapters/ticketing/connectwise/connectwise-client.js";
import { API_PREFIX, KEY_PATH, startFakeConnectWise, type FakeConnectWise, type FakeCwRequest } from "../fakes/connectwise/fake-connectwise.js";
import { cwClient } from "../adapters/connectwise/cw-test-setup.js";
import { describeUnless } from "../helpers/skip.js";
import { optionalContract } from "./contract-files.js";
import { checkRequest, findOperation, loadOpenApi, type OpenApiDocument } from "./openapi-check.js";

/**
 * ConnectWise publishes no OpenAPI repository and its definition (≥ 4 MiB) is not kept in
 * shared/contracts: point VERITY_CONNECTWISE_OPENAPI at one (practicinglife/API `All.json` or
 * ai-connor/connectwise `cw-api.json`), or drop it in shared/contracts/connectwise/. Without
 * one the suite reports itself skipped, with the reason.
 */
function connectwiseSpec(): { path: string | undefined; reason: string } {
  const fromEnv = process.env.VERITY_CONNECTWISE_OPENAPI;
  if (fromEnv !== undefined && fromEnv !== "") return { path: fromEnv, reason: `VERITY_CONNECTWISE_OPENAPI names ${fromEnv}, which does not exist` };
  const folder = optionalContract("connectwise");
  const file = folder.present ? readdirSync(folder.path).find((name) => name.endsWith(".json")) : undefined;
  return file === undefined
    ? { path: undefined, reason: `the ConnectWise OpenAPI document is not at ${folder.path}/*.json (at 4 MiB and more it is not among the shared contracts); put one there or set VERITY_CONNECTWISE_OPENAPI` }
    : { path: join(folder.path, file), reason: "" };
}

const located = connectwiseSpec();
const spec = located.path === undefined ? null : loadOpenApi(located.path);

/** The operations Verity's ConnectWise client uses, as the document names them. */
const USED = [
  "GET /company/contacts/{id}",
  "GET /service/tickets",
  "GET /service/tickets/{id}",
  "GET /service/tickets/{parentId}/notes",
  "GET /system/members",
  "GET /system/members/{id}",
  "POST /service/tickets/{parentId}/notes",
];

describeUnless(`ConnectWise PSA REST contract (${located.path ?? "no document"})`, spec === null ? located.reason : false, () => {
  const document = spec as OpenApiDocument;
  // Paths in the document are relative to its server, `https://<site>/v4_6_release/apis/3.0`.
  const base = new URL((document as { servers?: { url: string }[] }).servers?.[0]?.url ?? `https://x${API_PREFIX}`).pathname.replace(/\/$/, "");
  let cw: FakeConnectWise;
  let client: ConnectWiseClient;
  let api: FakeCwRequest[];

  before(async () => {
    cw = await startFakeConnectWise();
    client = cwClient(cw).client;
    const system = createConnectWiseTicketing("desk", client);
    await system.ticketContact("7001");
    await system.ticketContact("7002");
    await system.addPrivateNote({ ticket: "7002", html: "<p><b>Verity</b> identity check started</p><ul><li>marker-1</li></ul>" });
    for (let i = 0; i < 120; i += 1) await client.addInternalNote(7001, `filler ${i}`);
    await system.hasNoteWith("7001", "marker-none");
    await system.agentName?.("151");
    await system.agentName?.("jtech");
    await system.probe?.();
    api = cw.requests.filter((r) => r.path !== KEY_PATH);
  });
  after(async () => {
    await client.close();
    await cw.close();
  });

  const inDocument = (r: FakeCwRequest) => r.path.slice(base.length);

  it("sends every request under the document's server path", () => {
    for (const r of api) assert.ok(r.path.startsWith(`${base}/`), `${r.path} is not under ${base}`);
  });

  it("exercised every operation Verity uses, and only those", () => {
    const templates = new Set(api.map((r) => `${r.method} ${findOperation(document, r.method, inDocument(r))?.template ?? `(none) ${inDocument(r)}`}`));
    assert.deepEqual([...templates].sort(), [...USED].sort());
  });

  it("matches each operation's path parameters, query parameters and JSON body", () => {
    for (const r of api) {
      const problems = checkRequest(document, { method: r.method, path: inDocument(r), headers: r.headers, body: r.body, query: r.query });
      assert.deepEqual(problems, [], `${r.method} ${r.path}${r.query}`);
    }
  });

  it("sends the clientId header each operation declares, and Basic credentials as the document's security scheme says", () => {
    const schemes = Object.values(document.components?.securitySchemes ?? {});
    assert.ok(schemes.some((s) => s.type === "http" && s.scheme?.toLowerCase() === "basic"), "the document declares HTTP Basic");
    for (const r of api) {
      const declared = findOperation(document, r.method, inDocument(r))?.parameters.some((p) => p.in === "header" && p.name === "clientId");
      assert.equal(declared, true, `${r.method} ${r.path} declares clientId`);
      assert.equal(r.headers.clientid, cw.clientId);
      assert.match(String(r.headers.authorization), /^Basic [A-Za-z0-9+/]+=*$/);
    }
  });

  it("posts notes whose fields are ServiceNote properties of the declared types", () => {
    const posts = api.filter((r) => r.method === "POST");
    assert.ok(posts.length > 0);
    const note = document.components?.schemas?.ServiceNote?.properties ?? {};
    for (const r of posts) {
      const body = JSON.parse(r.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ["detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "text"]);
      for (const [name, value] of Object.entries(body)) assert.equal(note[name]?.type, typeof value === "string" ? "string" : "boolean", name);
      assert.equal(body.internalAnalysisFlag, true);
    }
  });

  it("reads notes page by page with the declared page and pageSize", () => {
    const pages = api.filter((r) => r.method === "GET" && /\/notes$/.test(r.path) && r.path.includes("/7001/")).map((r) => new URLSearchParams(r.query).get("page"));
    assert.deepEqual(pages, ["1", "2"]);
  });
});

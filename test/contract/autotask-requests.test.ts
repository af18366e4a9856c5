import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { pino } from "pino";
import { createAutotaskClient, type AutotaskClient } from "../../src/adapters/ticketing/autotask/autotask-client.js";
import { createAutotaskTicketing } from "../../src/adapters/ticketing/autotask/autotask-ticketing.js";
import { startFakeAutotask, type FakeAutotask, type FakeAutotaskRequest } from "../fakes/autotask/fake-autotask.js";
import { autotaskConfig, SAMPLE } from "../adapters/autotask/autotask-test-setup.js";
import { describeUnless } from "../helpers/skip.js";
import { checkRequest, findOperation } from "./openapi-check.js";
import { loadAutotaskSwagger, locateAutotaskSwagger } from "./autotask-swagger.js";

const located = locateAutotaskSwagger();

describeUnless("Autotask REST requests against Autotask's Swagger document", located.path === null ? located.why : false, () => {
  const { spec, requiredHeaders } = loadAutotaskSwagger(located.path as string);
  let fake: FakeAutotask;
  let client: AutotaskClient;

  // Every call Verity makes, once: contact, agent, a note, a paged note search, the connection test.
  before(async () => {
    fake = await startFakeAutotask({ ...SAMPLE, pageSize: 1 });
    fake.seedNotes(4242, ["first", "second"]);
    client = createAutotaskClient(autotaskConfig(fake), { log: pino({ level: "silent" }) });
    const system = createAutotaskTicketing("desk", client);
    await system.ticketContact("4242");
    await system.agentName?.("29682885");
    await system.addPrivateNote({ ticket: "4242", html: "<p>Verity identity check started</p>" });
    await system.hasNoteWith("4242", "absent-marker");
    await client.probe();
  });
  after(async () => {
    await client.close();
    await fake.close();
  });

  // Next pages are URLs Autotask itself hands back (pageDetails.nextPageUrl); Verity only follows them.
  const sent = () => fake.requests.filter((r) => !/\/query\/next$/i.test(r.path));
  const checked = (r: FakeAutotaskRequest) => ({
    method: r.method,
    path: r.path.replace(/^\/atservicesrest/i, "").toLowerCase(),
    headers: r.headers,
    body: r.rawBody,
    query: new URLSearchParams(r.query).toString(),
  });

  it("sends only operations the document declares, with their path parameters, query and JSON bodies", () => {
    const problems = sent().flatMap((r) => checkRequest(spec, checked(r)).map((p) => `${r.method} ${r.path}: ${p}`));
    assert.deepEqual(problems, []);
  });

  it("sends every header the document requires (ApiIntegrationCode, UserName, Secret)", () => {
    const problems: string[] = [];
    for (const r of sent()) {
      const c = checked(r);
      const template = findOperation(spec, c.method, c.path)?.template;
      if (template === undefined) continue;
      for (const name of requiredHeaders.get(`${c.method} ${template}`) ?? []) if (r.headers[name] === undefined) problems.push(`${r.method} ${r.path}: no ${name} header`);
    }
    assert.deepEqual(problems, []);
  });
});

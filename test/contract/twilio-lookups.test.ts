import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { after, before, it } from "node:test";
import { pino } from "pino";
import { twilioConfigSchema } from "../../src/adapters/channel/twilio-sms/twilio-config.js";
import { createTwilioSmsChannel } from "../../src/adapters/channel/twilio-sms/twilio-sms-channel.js";
import { startFakeTwilio, type FakeTwilio, type RecordedRequest } from "../fakes/twilio/fake-twilio.js";
import { sharedContract } from "./contract-files.js";
import { checkRequest, checkResponse, findOperation, loadOpenApi, type CheckedRequest, type OpenApiDocument } from "./openapi-check.js";

const contract = sharedContract("twilio/twilio-lookups.openapi.json");
const spec = loadOpenApi(contract.path);
const FETCH = "/v2/PhoneNumbers/{PhoneNumber}";

const asChecked = (r: RecordedRequest): CheckedRequest => ({ method: r.method, path: r.path, headers: r.headers, body: r.rawBody, query: r.query });

describeUnless(
  "Twilio Lookup v2 contract (twilio-oai subset)",
  spec === null ? `the Twilio Lookup contract is not at ${contract.path} (the shared/contracts folder sits beside the repository in CI)` : false,
  () => {
    const document = spec as OpenApiDocument;
    let fake: FakeTwilio;
    before(async () => {
      fake = await startFakeTwilio();
      fake.lineTypes.set("+14155550111", "nonFixedVoip");
      fake.simSwaps.set("+447700900123", { swappedPeriod: "PT48H", swappedInPeriod: true });
      const log = pino({ level: "silent" });
      const lookups = [{}, { simSwap: true }, { lineType: false, simSwap: true }];
      const apiKey = fake.account.apiKeys[0];
      for (const lookup of lookups) {
        for (const auth of [{ kind: "authToken", authToken: fake.account.authToken }, { kind: "apiKey", keySid: apiKey?.sid, keySecret: apiKey?.secret }]) {
          const channel = createTwilioSmsChannel(
            twilioConfigSchema.parse({
              kind: "twilio",
              accountSid: fake.account.sid,
              auth,
              ...(auth.kind === "apiKey" ? { webhookAuthToken: fake.account.authToken } : {}),
              from: fake.account.senders[0],
              baseUrl: fake.baseUrl,
              lookup: { baseUrl: fake.baseUrl, ...lookup },
            }),
            { name: "contract", log, statusCallbackUrl: null },
          );
          for (const to of ["+447700900123", "+14155550111"]) await channel.assess?.({ channel: "sms", to });
          await channel.close();
        }
      }
    });
    after(() => fake.close());

    it("made every kind of request Verity sends", () => {
      assert.equal(fake.requests.length, 12);
      assert.deepEqual([...new Set(fake.requests.map((r) => r.query))].sort(), ["?Fields=line_type_intelligence", "?Fields=line_type_intelligence,sim_swap", "?Fields=sim_swap"]);
    });

    it("sends only what the spec declares: path, method, query, auth", () => {
      for (const request of fake.requests) {
        assert.deepEqual(checkRequest(document, asChecked(request)), [], `${request.method} ${request.path}${request.query}`);
        assert.equal(findOperation(document, request.method, request.path)?.template, FETCH);
      }
    });

    it("asks only for packages the spec lists in Fields", () => {
      const fields = findOperation(document, "GET", "/v2/PhoneNumbers/+1")?.parameters.find((p) => p.name === "Fields");
      const listed = /Possible values are ([^.]+)\./.exec(String((fields as { description?: string } | undefined)?.description))?.[1]?.split(",").map((v) => v.trim()) ?? [];
      assert.ok(listed.includes("line_type_intelligence") && listed.includes("sim_swap"), "the spec lists the packages");
      for (const request of fake.requests) {
        for (const asked of new URLSearchParams(request.query).get("Fields")?.split(",") ?? []) assert.ok(listed.includes(asked), asked);
      }
    });

    it("gets answers from the fake that match the spec's 200 schema (nulls as in Twilio's own examples)", () => {
      // The spec's objects are $refs, which OpenAPI 3.0 cannot mark nullable, yet Twilio's own
      // examples answer null for every package not asked for: the same problems on the spec's
      // example show that this is the spec's quirk, not the fake's.
      const nullQuirk = (problem: string) => /is null but not nullable$/.test(problem);
      const examples = (document.paths[FETCH]?.get as { responses?: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }> })
        .responses?.["200"]?.content?.["application/json"]?.examples;
      const own = checkResponse(document, "GET", "/v2/PhoneNumbers/+447772000001", 200, examples?.fetchSimSwap?.value);
      assert.ok(own.length > 0 && own.every(nullQuirk), own.join("; "));
      for (const request of fake.requests) {
        assert.equal(request.response?.status, 200);
        assert.deepEqual(checkResponse(document, request.method, request.path, 200, request.response?.body).filter((p) => !nullQuirk(p)), []);
      }
    });

    it("would catch an undeclared query parameter, a wrong path or no auth", () => {
      const [good] = fake.requests;
      assert.ok(good !== undefined);
      const base = asChecked(good);
      assert.notDeepEqual(checkRequest(document, { ...base, query: "?Fields=line_type_intelligence&Type=carrier" }), []);
      assert.match(checkRequest(document, { ...base, path: "/v1/PhoneNumbers/+447700900123" }).join(), /matches no operation/);
      assert.match(checkRequest(document, { ...base, headers: { ...base.headers, authorization: undefined } }).join(), /does not authenticate/);
    });
  },
);

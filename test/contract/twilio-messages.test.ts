import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { after, before, it } from "node:test";
import { pino } from "pino";
import { createTwilioSmsChannel, type TwilioSmsChannelDeps } from "../../src/adapters/channel/twilio-sms/twilio-sms-channel.js";
import { twilioConfigSchema } from "../../src/adapters/channel/twilio-sms/twilio-config.js";
import { startFakeTwilio, type FakeTwilio, type RecordedRequest } from "../fakes/twilio/fake-twilio.js";
import { sharedContract } from "./contract-files.js";
import { checkRequest, checkResponse, loadOpenApi, type CheckedRequest, type OpenApiDocument } from "./openapi-check.js";

const contract = sharedContract("twilio/twilio-messages.openapi.json");
const spec = loadOpenApi(contract.path);
const CREATE = "/2010-04-01/Accounts/{AccountSid}/Messages.json";

const asChecked = (r: RecordedRequest): CheckedRequest => ({ method: r.method, path: r.path, headers: r.headers, body: r.rawBody });

describeUnless(
  "Twilio Messages contract (twilio-oai subset)",
  spec === null ? `the Twilio contract is not at ${contract.path} (the shared/contracts folder sits beside the repository in CI)` : false,
  () => {
    const document = spec as OpenApiDocument;
    let fake: FakeTwilio;
    before(async () => {
      fake = await startFakeTwilio();
      const log = pino({ level: "silent" });
      const sends: { config: Record<string, unknown>; deps: Partial<TwilioSmsChannelDeps> }[] = [
        { config: {}, deps: {} },
        { config: {}, deps: { statusCallbackUrl: "https://verity.example/hooks/twilio/acme-sms?tenant=acme", validityPeriodSeconds: 600 } },
        { config: { from: undefined, messagingServiceSid: fake.account.messagingServices[0] }, deps: { validityPeriodSeconds: 90_000 } },
        {
          config: { auth: { kind: "apiKey", keySid: fake.account.apiKeys[0]?.sid, keySecret: fake.account.apiKeys[0]?.secret }, webhookAuthToken: fake.account.authToken },
          deps: { statusCallbackUrl: "https://verity.example/hooks/twilio/acme-sms", validityPeriodSeconds: 0.5 },
        },
      ];
      for (const { config, deps } of sends) {
        const channel = createTwilioSmsChannel(
          twilioConfigSchema.parse({
            kind: "twilio",
            accountSid: fake.account.sid,
            auth: { kind: "authToken", authToken: fake.account.authToken },
            from: fake.account.senders[0],
            baseUrl: fake.baseUrl,
            ...config,
          }),
          { name: "contract", log, statusCallbackUrl: null, ...deps },
        );
        await channel.send({
          channel: "sms",
          to: "+447700900123",
          subject: "",
          text: "482913 is your Acme service desk code. Only read it to the desk if you called them. \u00e9",
          verificationId: "ver_contract",
          tenantId: "acme",
        });
        await channel.close();
      }
    });
    after(() => fake.close());

    it("exercised every optional field Verity sends", () => {
      const sent = new Set(fake.requests.flatMap((r) => Object.keys(r.form)));
      assert.deepEqual([...sent].sort(), ["Body", "From", "MessagingServiceSid", "StatusCallback", "To", "ValidityPeriod"]);
      assert.equal(fake.requests.length, 4);
    });

    it("sends only what the spec declares: path, method, auth, content type, fields and their values", () => {
      for (const request of fake.requests) {
        assert.deepEqual(checkRequest(document, asChecked(request)), [], `${request.method} ${request.path} ${request.rawBody}`);
      }
    });

    it("posts to the create operation of the spec", () => {
      const operation = document.paths[CREATE]?.post;
      assert.ok(operation !== undefined, "the spec has the create operation");
      for (const request of fake.requests) assert.equal(request.path, CREATE.replace("{AccountSid}", fake.account.sid));
    });

    it("gets answers from the fake that match the spec's 201 schema", () => {
      for (const request of fake.requests) {
        assert.equal(request.response?.status, 201);
        assert.deepEqual(checkResponse(document, request.method, request.path, 201, request.response?.body), []);
      }
    });

    it("would catch a misspelled field, a bad value, a missing To, the wrong content type or no auth", () => {
      const [good] = fake.requests;
      assert.ok(good !== undefined);
      const base = asChecked(good);
      const variant = (change: Partial<CheckedRequest>) => checkRequest(document, { ...base, ...change });
      const body = (edit: (form: URLSearchParams) => void) => {
        const form = new URLSearchParams(good.rawBody);
        edit(form);
        return form.toString();
      };
      assert.match(variant({ body: body((f) => f.set("Too", "+447700900123")) }).join(), /Too is not a declared property/);
      assert.match(variant({ body: body((f) => f.delete("To")) }).join(), /required To is missing/);
      assert.match(variant({ body: body((f) => f.set("ValidityPeriod", "ten")) }).join(), /ValidityPeriod .* is not an integer/);
      assert.match(variant({ body: body((f) => f.set("StatusCallback", "not a url")) }).join(), /StatusCallback .* is not a valid uri/);
      assert.match(variant({ body: body((f) => f.set("MessagingServiceSid", "MG123")) }).join(), /MessagingServiceSid does not match/);
      assert.match(variant({ body: body((f) => f.set("To", "07700 900123")) }).join(), /To .* is not a valid phone-number/);
      assert.match(variant({ body: body((f) => f.append("To", "+447700900124")) }).join(), /To was sent 2 times/);
      assert.match(variant({ body: body((f) => f.set("ContentRetention", "forever")) }).join(), /ContentRetention .* is not one of retain, discard/);
      assert.match(variant({ headers: { ...base.headers, "content-type": "application/json" } }).join(), /content type application\/json is not one of/);
      assert.match(variant({ headers: { ...base.headers, authorization: undefined } }).join(), /does not authenticate with accountSid_authToken/);
      assert.match(variant({ path: "/2010-04-01/Accounts/AC123/Messages.json" }).join(), /path parameter AccountSid/);
      assert.match(variant({ path: "/2010-04-01/Accounts/x/Message.json" }).join(), /matches no operation/);
      assert.match(variant({ method: "PUT" }).join(), /matches no operation/);
    });
  },
);

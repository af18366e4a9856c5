import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { VERIFIED_ID_SCOPE } from "../../../src/adapters/verified-id/verified-id-config.js";
import { createFakeClock } from "../../helpers/clock.js";
import { FAKE_CLIENT, FAKE_SECRET, FAKE_TENANT, startFakeVerifiedId, type FakeVerifiedId } from "../../fakes/verified-id/fake-request-service.js";

/** The fake refuses what the documented Request Service refuses, so the adapter's requests are checked against it. */
describe("fake Verified ID Request Service", () => {
  const clock = createFakeClock();
  let fake: FakeVerifiedId;
  let token = "";
  before(async () => {
    fake = await startFakeVerifiedId({ clock });
    const answer = await request(`${fake.url}/${FAKE_TENANT}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: FAKE_CLIENT, client_secret: FAKE_SECRET, scope: VERIFIED_ID_SCOPE, grant_type: "client_credentials" }).toString(),
    });
    token = ((await answer.body.json()) as { access_token: string }).access_token;
  });
  after(() => fake.close());

  const valid = () => ({
    authority: "did:web:verifiedid.contoso.example",
    includeReceipt: false,
    registration: { clientName: "Desk" },
    callback: { url: "https://verity.example/hooks/verified-id", state: "s1", headers: { "api-key": "k" } },
    requestedCredentials: [
      {
        type: "VerifiedEmployee",
        acceptedIssuers: ["did:web:contoso.example"],
        configuration: { validation: { allowRevoked: false, validateLinkedDomain: true, faceCheck: { sourcePhotoClaimName: "photo", matchConfidenceThreshold: 70 } } },
      },
    ],
  });

  async function create(body: unknown, bearer = token): Promise<{ status: number; body: { error?: { code: string; innererror?: { code: string; target?: string; message: string } } } }> {
    const answer = await request(`${fake.url}/v1.0/verifiableCredentials/createPresentationRequest`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    return { status: answer.statusCode, body: (await answer.body.json()) as never };
  }

  it("creates a request for a valid body", async () => {
    assert.equal((await create(valid())).status, 201);
  });

  it("refuses a token for any other scope", async () => {
    const answer = await request(`${fake.url}/${FAKE_TENANT}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: FAKE_CLIENT, client_secret: FAKE_SECRET, scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials" }).toString(),
    });
    assert.equal(answer.statusCode, 400);
    assert.match(JSON.stringify(await answer.body.json()), /AADSTS70011/);
  });

  it("refuses a missing or unknown bearer token with 401", async () => {
    assert.equal((await create(valid(), "nope")).status, 401);
  });

  it("refuses callback headers other than api-key and Authorization (invalid callback header)", async () => {
    const body = valid();
    const answer = await create({ ...body, callback: { ...body.callback, headers: { "api-key": "k", "x-verity": "1" } } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error?.code, "badRequest");
    assert.equal(answer.body.error?.innererror?.target, "callback.headers");
    assert.equal((await create({ ...body, callback: { ...body.callback, headers: { Authorization: "Bearer x" } } })).status, 201);
  });

  it("refuses a threshold outside 50–100, a receipt with Face Check, a constraint with two operands, a missing callback", async () => {
    const body = valid();
    const credential = body.requestedCredentials[0];
    assert.ok(credential !== undefined);
    for (const threshold of [49, 101, 70.5]) {
      const changed: unknown = { ...body, requestedCredentials: [{ ...credential, configuration: { validation: { faceCheck: { sourcePhotoClaimName: "photo", matchConfidenceThreshold: threshold } } } }] };
      assert.equal((await create(changed)).status, 400, `threshold ${threshold}`);
    }
    assert.equal((await create({ ...body, includeReceipt: true })).status, 400);
    assert.equal((await create({ ...body, requestedCredentials: [{ ...credential, constraints: [{ claimName: "revocationId", values: ["a"], startsWith: "a" }] }] })).status, 400);
    const { callback: _callback, ...withoutCallback } = body;
    assert.equal((await create(withoutCallback)).status, 400);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startFakeOkta, type FakeOkta } from "../../fakes/okta/fake-okta.js";

describe("the fake Okta org keeps to Okta's documented behaviour", () => {
  let fake: FakeOkta;
  before(async () => {
    fake = await startFakeOkta({ rateLimit: { limit: 5, windowSeconds: 60 } });
  });
  after(() => fake.close());

  const call = (path: string, init: RequestInit = {}, token: string | null = fake.apiToken) =>
    fetch(`${fake.baseUrl}${path}`, { ...init, headers: { ...(token === null ? {} : { authorization: `SSWS ${token}` }), ...(init.headers as Record<string, string> | undefined) } });

  it("puts X-Rate-Limit headers on every answer, counts API calls down, then answers 429 E0000047", async () => {
    const remaining: string[] = [];
    for (const path of ["/api/v1/users/jane.doe%40acme.example", "/api/v1/users/nobody", "/api/v1/users/jane.doe"]) {
      const response = await call(path);
      assert.match(response.headers.get("x-rate-limit-limit") ?? "", /^5$/);
      assert.match(response.headers.get("x-rate-limit-reset") ?? "", /^\d{10}$/);
      assert.ok(response.headers.get("date") !== null);
      remaining.push(response.headers.get("x-rate-limit-remaining") ?? "");
    }
    const unauthorised = await call("/api/v1/users/jane.doe", {}, "wrong");
    assert.equal(unauthorised.status, 401);
    assert.deepEqual(Object.keys((await unauthorised.json()) as object).sort(), ["errorCauses", "errorCode", "errorId", "errorLink", "errorSummary"]);
    assert.deepEqual(remaining, ["4", "3", "2"]);
    await call("/api/v1/users/jane.doe");
    const limited = await call("/api/v1/users/jane.doe");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("x-rate-limit-remaining"), "0");
    assert.equal(((await limited.json()) as { errorCode: string }).errorCode, "E0000047");
    const token = await fetch(fake.tokenUrl, { method: "POST", body: new URLSearchParams({ grant_type: "client_credentials" }) });
    assert.equal(token.status, 401);
    assert.ok(token.headers.get("x-rate-limit-remaining") !== null, "the token endpoint has its own bucket");
    fake.setRateLimitRemaining(5);
  });

  it("answers unknown paths and methods in Okta's envelope", async () => {
    assert.equal(((await (await call("/api/v1/groups")).json()) as { errorCode: string }).errorCode, "E0000008");
    assert.equal((await call("/api/v1/users/jane.doe", { method: "PATCH" })).status, 404);
    assert.equal((await call("/oauth2/v1/token")).status, 405);
  });

  it("keeps a push WAITING until the scripted caller answers, and a manual answer settles it", async () => {
    const jane = fake.user("jane.doe@acme.example");
    const push = jane.factors.find((f) => f.factorType === "push");
    fake.setCaller(jane.login, { action: "ignore" });
    const created = await call(`/api/v1/users/${jane.id}/factors/${push?.id}/verify`, { method: "POST", body: '{"useNumberMatchingChallenge":true}', headers: { "content-type": "application/json" } });
    assert.equal(created.status, 201);
    const challenge = (await created.json()) as { _links: { poll: { href: string } }; _embedded: { challenge: { correctAnswer: number } } };
    assert.ok(challenge._embedded.challenge.correctAnswer >= 10 && challenge._embedded.challenge.correctAnswer < 100);
    const pollPath = new URL(challenge._links.poll.href).pathname;
    assert.equal(((await (await call(pollPath)).json()) as { factorResult: string }).factorResult, "WAITING");
    const [tx] = fake.transactions;
    fake.answer(tx?.id ?? "", "right");
    assert.equal(((await (await call(pollPath)).json()) as { factorResult: string }).factorResult, "SUCCESS");
    assert.equal((await call(pollPath, { method: "DELETE" })).status, 204);
    assert.equal((await call(pollPath)).status, 404);
  });
});

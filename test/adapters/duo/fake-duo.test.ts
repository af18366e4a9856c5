import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { request } from "undici";
import { canonParams, duoAuthorization, rfc2822Date, type DuoSigningAlgorithm } from "../../../src/adapters/push/duo/duo-signing.js";
import { PUSHINFO_LIMIT_BYTES, startFakeDuo, type FakeDuo } from "../../fakes/duo/fake-duo.js";
import { USERS } from "./duo-kit.js";

interface CallOptions {
  readonly date?: Date;
  readonly algorithm?: DuoSigningAlgorithm;
  readonly secretKey?: string;
  readonly unsigned?: boolean;
}

/** One raw call to the fake, signed with Verity's signing functions unless told otherwise. */
async function call(fake: FakeDuo, method: "GET" | "POST", path: string, params: Record<string, string> = {}, options: CallOptions = {}) {
  const date = rfc2822Date(options.date ?? new Date());
  const encoded = canonParams(params);
  const headers: Record<string, string> = { date };
  if (options.unsigned !== true) {
    headers.authorization = duoAuthorization(fake.integrationKey, options.secretKey ?? fake.secretKey, { method, host: fake.apiHost, path, params, date }, options.algorithm);
  }
  if (method === "POST") headers["content-type"] = "application/x-www-form-urlencoded";
  const response = await request(`${fake.baseUrl}${path}${method === "GET" && encoded !== "" ? `?${encoded}` : ""}`, {
    method,
    headers,
    ...(method === "POST" ? { body: encoded } : {}),
  });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> & { response?: Record<string, unknown> } };
}

describe("fake Duo", () => {
  let fake: FakeDuo;
  before(async () => {
    fake = await startFakeDuo({ users: USERS, holdMs: 300, pushTimeoutMs: 5000, acceptSha1: true });
  });
  beforeEach(() => fake.reset());
  after(() => fake.close());

  it("answers ping unsigned and check only when signed", async () => {
    assert.equal((await call(fake, "GET", "/auth/v2/ping", {}, { unsigned: true })).status, 200);
    const check = await call(fake, "GET", "/auth/v2/check");
    assert.equal(check.status, 200);
    assert.equal(typeof check.body.response?.time, "number");
  });

  it("refuses missing credentials (40101), a bad signature (40103) and a skewed Date (40105) in Duo's envelope", async () => {
    assert.deepEqual((await call(fake, "GET", "/auth/v2/check", {}, { unsigned: true })).body, { stat: "FAIL", code: 40101, message: "Missing request credentials" });
    const bad = await call(fake, "POST", "/auth/v2/preauth", { username: "jdoe" }, { secretKey: "wrong" });
    assert.deepEqual({ status: bad.status, code: bad.body.code }, { status: 401, code: 40103 });
    const skewed = await call(fake, "GET", "/auth/v2/check", {}, { date: new Date(Date.now() - 301_000) });
    assert.deepEqual({ status: skewed.status, code: skewed.body.code }, { status: 401, code: 40105 });
    assert.equal((await call(fake, "GET", "/auth/v2/check", {}, { date: new Date(Date.now() - 240_000) })).status, 200);
  });

  it("accepts a legacy HMAC-SHA1 signature only when allowed", async () => {
    assert.equal((await call(fake, "GET", "/auth/v2/check", {}, { algorithm: "sha1" })).status, 200);
    const strict = await startFakeDuo({ acceptSha1: false });
    try {
      assert.equal((await call(strict, "GET", "/auth/v2/check", {}, { algorithm: "sha1" })).body.code, 40103);
    } finally {
      await strict.close();
    }
  });

  it("refuses unknown and missing parameters and an oversized pushinfo with 400", async () => {
    assert.deepEqual((await call(fake, "POST", "/auth/v2/preauth", { usernme: "jdoe" })).body, { stat: "FAIL", code: 40002, message: "Invalid request parameters", message_detail: "usernme" });
    assert.equal((await call(fake, "POST", "/auth/v2/auth", { username: "jdoe" })).body.message_detail, "factor");
    const big = await call(fake, "POST", "/auth/v2/auth", { username: "jdoe", factor: "push", device: "auto", async: "1", pushinfo: `a=${"x".repeat(PUSHINFO_LIMIT_BYTES)}` });
    assert.deepEqual({ status: big.status, detail: big.body.message_detail }, { status: 400, detail: "pushinfo" });
  });

  it("long-polls: the first status comes at once, then it holds until a change or the hold time", async () => {
    fake.setCaller("jdoe", { action: "ignore" });
    const push = await call(fake, "POST", "/auth/v2/auth", { username: "jdoe", factor: "push", device: "auto", async: "1" });
    const txid = String(push.body.response?.txid);
    const first = await call(fake, "GET", "/auth/v2/auth_status", { txid });
    assert.deepEqual(first.body.response, { result: "waiting", status: "pushed", status_msg: "Pushed a login request to your device...", auth_delayed: false });
    let started = Date.now();
    assert.equal((await call(fake, "GET", "/auth/v2/auth_status", { txid })).body.response?.result, "waiting");
    assert.ok(Date.now() - started >= 280, "held for the hold time");
    started = Date.now();
    const held = call(fake, "GET", "/auth/v2/auth_status", { txid });
    await fake.waitFor(() => fake.heldPolls === 1);
    fake.answer(txid, "approve");
    assert.equal((await held).body.response?.result, "allow");
    assert.ok(Date.now() - started < 280, "answered at the change");
  });

  it("times an unanswered push out after pushTimeoutMs, as Duo does after 60 s", async () => {
    const quick = await startFakeDuo({ users: [{ username: "jdoe", caller: { action: "ignore" } }], holdMs: 2000, pushTimeoutMs: 100 });
    try {
      const push = await call(quick, "POST", "/auth/v2/auth", { username: "jdoe", factor: "push", device: "auto", async: "1" });
      await call(quick, "GET", "/auth/v2/auth_status", { txid: String(push.body.response?.txid) });
      const final = await call(quick, "GET", "/auth/v2/auth_status", { txid: String(push.body.response?.txid) });
      assert.deepEqual([final.body.response?.result, final.body.response?.status], ["deny", "timeout"]);
    } finally {
      await quick.close();
    }
  });

  it("spends a Verified Push txid once, and only for its user", async () => {
    const pre = await call(fake, "POST", "/auth/v2/preauth", { username: "vp", client_supports_verified_push: "1" });
    const txid = String(pre.body.response?.txid);
    const push = { factor: "push", device: "auto", async: "1", txid };
    assert.equal((await call(fake, "POST", "/auth/v2/auth", { ...push, username: "jdoe" })).body.message_detail, "txid");
    assert.equal((await call(fake, "POST", "/auth/v2/auth", { ...push, username: "vp" })).status, 200);
    assert.equal((await call(fake, "POST", "/auth/v2/auth", { ...push, username: "vp" })).body.message_detail, "txid");
  });

  it("records every request with its answer", async () => {
    fake.failNext("429");
    await call(fake, "GET", "/auth/v2/check");
    assert.deepEqual(
      fake.requests.map((r) => [r.method, r.path, r.response?.status]),
      [["GET", "/auth/v2/check", 429]],
    );
  });
});

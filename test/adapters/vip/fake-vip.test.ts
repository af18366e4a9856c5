import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { VIP_NS } from "../../../src/adapters/push/vip/vip-requests.js";
import { parseXml } from "../../../src/adapters/push/vip/vip-xml.js";
import { AUTH_PATH, QUERY_PATH, startFakeVip, type FakeVip } from "../../fakes/vip/fake-vip.js";
import { postRaw, sleep, vipEnvelope } from "./vip-kit.js";

/** The response element of a SOAP answer, and its status and detail message. */
function answer(text: string): { name: string; status: string; detailMessage: string; fault: string } {
  const body = parseXml(text).children[0];
  const element = body?.children[0];
  const field = (name: string) => element?.children.find((c) => c.local === name)?.text ?? "";
  return { name: element?.local ?? "", status: field("status"), detailMessage: field("detailMessage"), fault: field("faultstring") };
}

describe("fake VIP", () => {
  let fake: FakeVip;
  before(async () => {
    fake = await startFakeVip();
  });
  beforeEach(() => fake.reset());
  after(() => fake.close());

  const push = (user: string, requestId = "fake_test_1", extra = "") =>
    vipEnvelope(
      "AuthenticateUserWithPushRequest",
      `<requestId>${requestId}</requestId><userId>${user}</userId><pushAuthData>${extra}<requestParameters><Key>request.timeout</Key><Value>2</Value></requestParameters></pushAuthData>`,
    );

  it("answers a push with 6040, a 4–16 character transaction id and pushDetail, echoing the requestId", async () => {
    const response = await postRaw(fake, AUTH_PATH, push("jdoe"));
    assert.equal(response.status, 200);
    const root = parseXml(response.text);
    const element = root.children[0]?.children[0];
    assert.deepEqual([element?.ns, element?.local], [VIP_NS, "AuthenticateUserWithPushResponse"]);
    const fields = Object.fromEntries((element?.children ?? []).map((c) => [c.local, c.text]));
    assert.equal(fields.requestId, "fake_test_1");
    assert.equal(fields.status, "6040");
    assert.match(fields.transactionId ?? "", /^[0-9A-Za-z_]{4,16}$/);
    assert.ok(element?.children.some((c) => c.local === "pushDetail"));
    assert.equal(fake.requests[0]?.clientCertificate, "VIP certificate for Verity tests");
  });

  it("answers 600B when a request breaks the schema: hyphenated requestId, order, long values", async () => {
    const cases = [
      [push("jdoe", "has-hyphen"), /requestId/],
      [vipEnvelope("CheckOtpRequest", "<userId>jdoe</userId><requestId>abcd</requestId><otpAuthData><otp>123456</otp></otpAuthData>"), /requestId is missing/],
      [push("jdoe", "abcd", `<displayParameters><Key>k</Key><Value>${"v".repeat(251)}</Value></displayParameters>`), /Value must be 0–250/],
      [vipEnvelope("PollPushStatusRequest", "<requestId>abcd</requestId>"), /transactionId is missing/],
    ] as const;
    for (const [body, problem] of cases) {
      const reply = answer((await postRaw(fake, body.includes("Poll") ? QUERY_PATH : AUTH_PATH, body)).text);
      assert.equal(reply.status, "600B");
      assert.match(reply.detailMessage, problem);
    }
    assert.equal(fake.transactions.size, 0);
  });

  it("faults on XML it cannot read and on an operation the service does not have", async () => {
    const broken = await postRaw(fake, AUTH_PATH, "<S:Envelope");
    assert.equal(broken.status, 500);
    assert.match(answer(broken.text).fault, /SOAP/);
    const wrongService = await postRaw(fake, QUERY_PATH, push("jdoe"));
    assert.equal(wrongService.status, 500);
    assert.match(answer(wrongService.text).fault, /Cannot find dispatch method/);
  });

  it("wants text/xml, POST and a known path", async () => {
    assert.equal((await postRaw(fake, AUTH_PATH, push("jdoe"), { "content-type": "application/json" })).status, 415);
    assert.equal((await postRaw(fake, "/vipuserservices/Nope", push("jdoe"))).status, 404);
  });

  it("reports the life of a push: in progress, answered, expired, unknown", async () => {
    fake.setCaller("jdoe", { answer: "ignore" });
    const first = answer((await postRaw(fake, AUTH_PATH, push("jdoe"))).text);
    assert.equal(first.status, "6040");
    const [tx] = fake.transactions.values();
    const poll = async (id: string) => {
      const text = (await postRaw(fake, QUERY_PATH, vipEnvelope("PollPushStatusRequest", `<requestId>abcd</requestId><transactionId>${id}</transactionId>`))).text;
      const status = parseXml(text).children[0]?.children[0]?.children.find((c) => c.local === "transactionStatus");
      return status?.children.find((c) => c.local === "status")?.text;
    };
    assert.equal(await poll(tx?.transactionId ?? ""), "7001");
    await sleep((tx?.createdAt ?? 0) + 2050 - Date.now());
    assert.equal(await poll(tx?.transactionId ?? ""), "7004");
    fake.answer(tx?.transactionId ?? "", "approve");
    assert.equal(await poll(tx?.transactionId ?? ""), "7004", "an answer after expiry changes nothing");
    assert.equal(await poll("0000000000000000"), "7005");
  });

  it("issues one-time codes and locks a user after repeated wrong ones", async () => {
    const check = async (otp: string) =>
      answer((await postRaw(fake, AUTH_PATH, vipEnvelope("CheckOtpRequest", `<requestId>abcd</requestId><userId>otp.only</userId><otpAuthData><otp>${otp}</otp></otpAuthData>`))).text).status;
    const otp = fake.validOtp("otp.only");
    assert.equal(await check(otp), "0000");
    assert.equal(await check(otp), "6009");
    for (let i = 0; i < 4; i += 1) await check("000000");
    assert.equal(fake.users.get("otp.only")?.status, "LOCKED");
    assert.equal(await check(fake.validOtp("otp.only")), "601B");
  });
});

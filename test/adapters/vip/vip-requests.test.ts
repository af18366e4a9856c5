import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { newRequestId, truncate } from "../../../src/adapters/push/vip/vip-requests.js";
import { escapeXml, parseXml } from "../../../src/adapters/push/vip/vip-xml.js";
import { isVerityError } from "../../../src/domain/errors.js";
import { passcodeRequest, pushRequest, startVipKit, USER, type VipKit } from "./vip-kit.js";

const REQUEST_ID = /^[0-9A-Za-z_]{4,40}$/;

describe("VIP requests on the wire", () => {
  let kit: VipKit;
  before(async () => {
    kit = await startVipKit();
  });
  beforeEach(() => kit.fake.reset());
  after(() => kit.close());

  const requestIdOf = (body: string) => /<requestId>([^<]*)<\/requestId>/.exec(body)?.[1] ?? "";

  it("gives every request a fresh requestId of VIP's shape: no hyphens, at most 40 characters", async () => {
    const vip = kit.provider();
    const { transactionRef } = await vip.startPush(pushRequest());
    await vip.pollPush(transactionRef);
    await vip.pollPush(transactionRef);
    await vip.checkPasscode(passcodeRequest("123456"));
    await vip.describeUser({ providerUserId: "jdoe", user: USER, tenantId: "acme" });
    const ids = kit.fake.requests.map((r) => requestIdOf(r.body));
    assert.equal(ids.length, 5);
    for (const id of ids) assert.match(id, REQUEST_ID);
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 0; i < 1000; i += 1) assert.match(newRequestId(), REQUEST_ID);
  });

  it("posts SOAP 1.1 with VIP's content type and the WSDL's empty SOAPAction", async () => {
    await kit.provider().startPush(pushRequest());
    const [request] = kit.fake.requests;
    assert.equal(request?.headers["content-type"], "text/xml; charset=utf-8");
    assert.equal(request?.headers.soapaction, '""');
    assert.equal(request?.response?.httpStatus, 200);
  });

  it("escapes what it puts into XML, so a title with <&> arrives intact", async () => {
    const title = `Acme <IT> & "Ops" 'desk'`;
    const message = "Approve if </Value><Key>evil</Key> is on the phone ]]> & <![CDATA[x]]>";
    await kit.provider().startPush(pushRequest({ title, message }));
    const body = kit.fake.requests[0]?.body ?? "";
    assert.ok(body.includes("Acme &lt;IT&gt; &amp; &quot;Ops&quot; &apos;desk&apos;"));
    assert.ok(!body.includes("<Key>evil</Key>"));
    const tx = [...kit.fake.transactions.values()][0];
    assert.equal(tx?.displayParameters["display.message.title"], title);
    assert.equal(tx?.displayParameters["display.message.text"], message);
    assert.equal(tx?.displayParameters["push.message.text"], title);
  });

  it("cuts the prompt text to VIP's 250 characters without splitting a character", async () => {
    const message = `${"a".repeat(248)}😀😀😀 and more`;
    await kit.provider().startPush(pushRequest({ message, title: "t".repeat(300) }));
    const tx = [...kit.fake.transactions.values()][0];
    const text = tx?.displayParameters["display.message.text"] ?? "";
    assert.equal([...text].length, 250);
    assert.equal(text, `${"a".repeat(248)}😀…`);
    assert.equal([...(tx?.displayParameters["display.message.title"] ?? "")].length, 250);
  });

  it("replaces characters XML cannot carry instead of sending a broken request", async () => {
    await kit.provider().startPush(pushRequest({ message: "bell\u0007 nul\u0000 end" }));
    assert.equal([...kit.fake.transactions.values()][0]?.displayParameters["display.message.text"], "bell\uFFFD nul\uFFFD end");
  });

  it("refuses a user id VIP's schema would refuse, before any request", async () => {
    for (const providerUserId of ["", "x".repeat(129), "ab\u0001c"]) {
      await assert.rejects(kit.provider().startPush(pushRequest({ providerUserId })), (e: unknown) => isVerityError(e) && e.code === "VALIDATION_FAILED");
      await assert.rejects(kit.provider().checkPasscode(passcodeRequest("123456", providerUserId)), (e: unknown) => isVerityError(e) && e.code === "VALIDATION_FAILED");
    }
    assert.equal(kit.fake.requests.length, 0);
  });

  it("keeps user ids exactly as given (VIP user ids are case-sensitive)", async () => {
    kit.fake.addUser("JDoe & Co", { credentials: [{ push: true }] });
    await kit.provider().startPush(pushRequest({ providerUserId: "JDoe & Co" }));
    assert.equal([...kit.fake.transactions.values()][0]?.userId, "JDoe & Co");
  });
});

describe("VIP XML helpers", () => {
  it("escapes markup characters and CR", () => {
    assert.equal(escapeXml(`<a href="x">&'\r\n`), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#xD;\n");
  });

  it("truncates by code points with an ellipsis", () => {
    assert.equal(truncate("short"), "short");
    assert.equal(truncate("abcdef", 4), "abc…");
    assert.equal(truncate("ab😀d", 3), "ab…");
  });

  it("parses namespaces and entities, and refuses DOCTYPEs and broken XML", () => {
    const root = parseXml('<?xml version="1.0"?><a:x xmlns:a="urn:a" xmlns="urn:d"><y k="v">1 &amp; &#233;</y><a:z><![CDATA[<c>]]></a:z></a:x>');
    assert.deepEqual([root.ns, root.local], ["urn:a", "x"]);
    assert.deepEqual(root.children.map((c) => [c.ns, c.local, c.text]), [
      ["urn:d", "y", "1 & é"],
      ["urn:a", "z", "<c>"],
    ]);
    assert.deepEqual(root.children[0]?.attributes, { k: "v" });
    assert.throws(() => parseXml('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'), /DOCTYPE/);
    assert.throws(() => parseXml("<a><b></a>"), /not well-formed/);
    assert.throws(() => parseXml("<p:a/>"), /prefix 'p'/);
    assert.throws(() => parseXml("<a/><b/>"), /not well-formed|exactly one root/);
  });
});

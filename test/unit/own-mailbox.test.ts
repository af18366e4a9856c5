import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emailContent, htmlOf, isPlainAddress, oneLine } from "../../src/adapters/channel/email-shared/email-message.js";
import { isOwnMailbox } from "../../src/services/targets.js";

describe("the account's own mailbox", () => {
  const user = { upn: "Olive@Acme.test", mail: "olive.owner@acme.test", mailboxAddresses: ["o.owner@acme-legacy.test"] };

  it("is the UPN, the mail address and the listed mailbox addresses, case-insensitively and plus-addressed", () => {
    for (const address of ["olive@acme.test", "OLIVE@ACME.TEST", "olive+codes@acme.test", "Olive.Owner@acme.test", "o.owner+x@ACME-legacy.test", " olive@acme.test "]) {
      assert.equal(isOwnMailbox(user, address), true, address);
    }
  });

  it("is not another address, even one that only looks close", () => {
    for (const address of ["olive@mail.test", "olive.owner@acme.test.evil", "olive-owner@acme.test", "+olive@acme.test"]) {
      assert.equal(isOwnMailbox(user, address), false, address);
    }
    assert.equal(isOwnMailbox({ upn: "sam@acme.test", mail: null }, "sam.home@mail.test"), false);
  });
});

describe("email message shaping", () => {
  it("takes one plain address only", () => {
    for (const ok of ["jane@example.net", "jane.doe+x@mail.example.co.uk", "o'brien@example.ie"]) assert.equal(isPlainAddress(ok), true, ok);
    for (const bad of ["Jane <jane@example.net>", "jane@example.net,evil@example.org", "jane@example.net\r\nBcc: x@y.z", "jane@localhost", "jané@example.net", "jane..doe@example.net", "jane@-example.net", "@example.net"]) {
      assert.equal(isPlainAddress(bad), false, JSON.stringify(bad));
    }
  });

  it("puts the subject on one line and escapes the HTML body", () => {
    assert.equal(oneLine("Code\r\n\tBcc: x@y.z"), "Code Bcc: x@y.z");
    assert.equal(htmlOf("a <b> & c\n\nd"), `<!doctype html>\n<html><head><meta charset="utf-8"></head><body>\n<p>a &lt;b&gt; &amp; c</p>\n<p>d</p>\n</body></html>\n`);
    const content = emailContent({ channel: "email", to: "jane@example.net", subject: "S\nT", text: "x\r\ny", verificationId: "v", tenantId: "t" }, "p");
    assert.deepEqual([content.subject, content.text, content.masked], ["S T", "x\ny", "j\u2022\u2022\u2022@e\u2022\u2022\u2022\u2022\u2022\u2022.net"]);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { htmlToText } from "../../src/adapters/ticketing/shared/note-text.js";

describe("Verity's note HTML as plain text (for systems whose notes are text)", () => {
  it("keeps every word, makes list items lines, and decodes entities", () => {
    const text = htmlToText(
      "<p><b>Verity: caller VERIFIED</b></p><ul><li>Caller account: O&#39;Brien &amp; Co</li><li>Method: SMS code to +1 (•••) •••-0101</li></ul><p><small>Verity audit event #12 · e-1<br>hash abc123</small></p>",
    );
    assert.equal(text, "Verity: caller VERIFIED\n- Caller account: O'Brien & Co\n- Method: SMS code to +1 (•••) •••-0101\nVerity audit event #12 · e-1\nhash abc123");
  });

  it("ends a link's line at its address, so the sentence's full stop never joins the URL", () => {
    const text = htmlToText('<p>Ask the caller to read the code back. <a href="https://verity.example/v/1f#t=abc&amp;x=1">Open the verification in Verity</a>.</p>');
    assert.equal(text, "Ask the caller to read the code back. Open the verification in Verity: https://verity.example/v/1f#t=abc&x=1");
    assert.ok(!/#t=\S*\.$/m.test(text));
  });

  it("leaves no tag behind", () => {
    assert.doesNotMatch(htmlToText('<div><p class="x">a</p><span>b</span></div>'), /[<>]/);
  });
});

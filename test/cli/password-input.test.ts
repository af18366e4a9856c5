import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { CliExit } from "../../src/cli/io.js";
import { newPassword, readHidden } from "../../src/cli/password-input.js";

/** A terminal as Node presents one: a readable with isTTY and setRawMode. */
class FakeTerminal extends PassThrough {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
}

const sink = () => {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString("utf8")));
  return { out, text: () => text };
};

describe("reading a new password", () => {
  it("reads a terminal line without echo, with backspace, and restores the terminal", async () => {
    const input = new FakeTerminal();
    const prompts = sink();
    const reading = readHidden(input, prompts.out, "Password: ");
    input.write("correct horse batteryX\u007f");
    input.write("\r");
    assert.equal(await reading, "correct horse battery");
    assert.deepEqual(input.rawModes, [true, false]);
    assert.equal(prompts.text(), "Password: \n", "nothing typed is echoed");
  });

  it("asks twice on a terminal, even when both answers arrive at once (pasted)", async () => {
    const input = new FakeTerminal();
    const prompts = sink();
    const reading = newPassword({ file: undefined, input, prompts: prompts.out });
    input.write("correct horse battery\r\ncorrect horse battery\r");
    assert.equal(await reading, "correct horse battery");
    assert.ok(!prompts.text().includes("horse"));
  });

  it("stops when the two answers differ or on Ctrl-C", async () => {
    const differ = new FakeTerminal();
    const first = newPassword({ file: undefined, input: differ, prompts: sink().out });
    differ.write("correct horse battery\rcorrect horse batterz\r");
    await assert.rejects(first, (error: unknown) => error instanceof CliExit && /differ/.test(error.message));
    const interrupted = new FakeTerminal();
    const second = newPassword({ file: undefined, input: interrupted, prompts: sink().out });
    interrupted.write("half typed\u0003");
    await assert.rejects(second, (error: unknown) => error instanceof CliExit && /No password was entered/.test(error.message));
    assert.deepEqual(interrupted.rawModes, [true, false]);
  });

  it("reads the first line of a file, or of standard input when it is not a terminal", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "verity-pw-")), "pw");
    writeFileSync(file, "from the file 123\r\nsecond line\n");
    assert.equal(await newPassword({ file, input: new PassThrough(), prompts: sink().out }), "from the file 123");
    const piped = new PassThrough();
    piped.end("from a pipe 12345\n");
    assert.equal(await newPassword({ file: undefined, input: piped, prompts: sink().out }), "from a pipe 12345");
    const empty = new PassThrough();
    empty.end("");
    await assert.rejects(newPassword({ file: undefined, input: empty, prompts: sink().out }), CliExit);
    await assert.rejects(newPassword({ file: join(tmpdir(), "no-such-verity-file"), input: empty, prompts: sink().out }), CliExit);
  });
});

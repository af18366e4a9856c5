import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createFileAnchorSink } from "../../src/adapters/anchor/file/file-anchor-sink.js";
import { parseAnchor, signAnchor } from "../../src/domain/audit-anchor.js";
import { deriveKeyRing } from "../../src/domain/keys.js";
import { readAnchorFiles } from "../../src/services/anchor-files.js";

const keys = deriveKeyRing(Buffer.from("anchor-unit-key-anchor-unit-key-0123"));
const head = (seq: number) => ({ seq, hash: seq.toString(16).padStart(64, "a") });
const at = new Date("2026-11-23T09:00:00.000Z");

describe("audit anchor records", () => {
  it("carry the head and a MAC under their own key", () => {
    const anchor = signAnchor(keys, head(7), at);
    assert.deepEqual(Object.keys(anchor), ["v", "seq", "hash", "at", "mac"]);
    assert.deepEqual(parseAnchor(keys, JSON.stringify(anchor)), { kind: "anchor", record: anchor });
    const other = deriveKeyRing(Buffer.from("another-key-another-key-another-0123"));
    assert.deepEqual(parseAnchor(other, JSON.stringify(anchor)), { kind: "forged", seq: 7 }, "another hash key cannot vouch for it");
    assert.notDeepEqual(keys.anchor, keys.link, "the anchor key is its own purpose");
  });

  it("call any change or addition forged, and text that is not JSON unreadable", () => {
    const anchor = signAnchor(keys, head(7), at);
    assert.equal(parseAnchor(keys, JSON.stringify({ ...anchor, seq: 8 })).kind, "forged");
    assert.equal(parseAnchor(keys, JSON.stringify({ ...anchor, hash: head(8).hash })).kind, "forged");
    assert.equal(parseAnchor(keys, JSON.stringify({ ...anchor, note: "x" })).kind, "forged");
    assert.equal(parseAnchor(keys, "[1,2]").kind, "forged");
    assert.equal(parseAnchor(keys, JSON.stringify(anchor).slice(0, 40)).kind, "unreadable");
  });

  it("are read back from files, a cut-short write noted but not held against the log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verity-anchor-unit-"));
    const path = join(dir, "nested", "anchors.jsonl");
    const sink = createFileAnchorSink({ kind: "file", path });
    await sink.write(signAnchor(keys, head(3), at));
    appendFileSync(path, JSON.stringify(signAnchor(keys, head(4), at)).slice(0, 30));
    await sink.write(signAnchor(keys, head(5), at));
    assert.equal(readFileSync(path, "utf8").split("\n").length, 4, "the next anchor started on its own line");
    const reading = await readAnchorFiles(keys, [path, join(dir, "missing.jsonl")]);
    assert.deepEqual(reading.anchors.map((a) => a.seq), [3, 5]);
    assert.deepEqual(reading.problems, [{ source: path, line: 2, problem: "unreadable" }]);
    assert.deepEqual(reading.read, [path]);
  });
});

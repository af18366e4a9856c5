import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "./audit-chain.js";
import type { KeyRing } from "./keys.js";

/**
 * The audit chain's head as exported outside the database: the newest event's number and hash,
 * when it was exported, and a MAC under the key ring's `anchor` key. Anyone holding the record
 * can check the chain against it; the MAC stops someone who can write the place the anchors are
 * kept, but does not hold Verity's key, from forging a newer one.
 */
export interface AnchorRecord {
  readonly v: 1;
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly mac: string;
}

function macOf(keys: Pick<KeyRing, "anchor">, fields: Omit<AnchorRecord, "mac">): string {
  return createHmac("sha256", keys.anchor).update(canonicalJson(fields)).digest("base64url");
}

export function signAnchor(keys: Pick<KeyRing, "anchor">, head: { seq: number; hash: string }, at: Date): AnchorRecord {
  const fields = { v: 1 as const, seq: head.seq, hash: head.hash, at: at.toISOString() };
  return { ...fields, mac: macOf(keys, fields) };
}

export type ParsedAnchor =
  | { readonly kind: "anchor"; readonly record: AnchorRecord }
  /** Shaped like an anchor, but its MAC does not verify: edited, forged, or signed under another key. */
  | { readonly kind: "forged"; readonly seq: number | null }
  /** Not JSON: what a write cut short leaves (it cannot pass for an anchor). */
  | { readonly kind: "unreadable" };

/** Reads one exported anchor (a line of an anchor file, a webhook body, a syslog message). */
export function parseAnchor(keys: Pick<KeyRing, "anchor">, text: string): ParsedAnchor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unreadable" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "forged", seq: null };
  const { v, seq, hash, at, mac, ...rest } = value as Record<string, unknown>;
  const claimedSeq = typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
  const shaped =
    v === 1 &&
    claimedSeq !== null &&
    typeof hash === "string" &&
    /^[0-9a-f]{64}$/.test(hash) &&
    typeof at === "string" &&
    !Number.isNaN(Date.parse(at)) &&
    typeof mac === "string" &&
    Object.keys(rest).length === 0;
  if (!shaped) return { kind: "forged", seq: claimedSeq };
  const expected = Buffer.from(macOf(keys, { v: 1, seq: claimedSeq, hash, at }));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: "forged", seq: claimedSeq };
  return { kind: "anchor", record: { v: 1, seq: claimedSeq, hash, at, mac } };
}

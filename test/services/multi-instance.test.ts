import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import type { MessageChannel, OutboundMessage, PushProvider } from "../../src/domain/ports.js";
import { createEngineWith } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { testPostgres } from "../helpers/postgres.js";
import { TECHNICIAN } from "../helpers/runtime.js";

/**
 * SECURITY.md R10: per-caller limits hold when several Verity instances share one database and
 * take requests for the same caller at the same moment. Each instance is a separate engine with
 * its own connections; only the store is shared.
 */
const postgres = await testPostgres();
const tmp = mkdtempSync(join(tmpdir(), "verity-multi-"));
let sqliteCount = 0;

const DIALECTS: { name: string; skip: string | false; newUrl: () => Promise<string> }[] = [
  { name: "SQLite", skip: false, newUrl: () => Promise.resolve(`sqlite:${join(tmp, `m${(sqliteCount += 1)}.db`)}`) },
  {
    name: "PostgreSQL",
    skip: "skip" in postgres ? postgres.skip : false,
    newUrl: () => ("skip" in postgres ? Promise.reject(new Error(postgres.skip)) : postgres.createDatabase()),
  },
];

/** A push provider that counts the pushes it was asked to send; nobody ever answers. */
function countingProvider(counter: { pushes: number }): PushProvider {
  return {
    name: "counting",
    kind: "counting",
    developmentOnly: false,
    pollIntervalMs: 50,
    startPush: () => {
      counter.pushes += 1;
      return Promise.resolve({ transactionRef: `tx-${crypto.randomUUID()}` });
    },
    pollPush: () => Promise.resolve({ outcome: "waiting" }),
    cancelPush: () => Promise.resolve(),
  };
}

function countingChannel(sent: OutboundMessage[]): MessageChannel {
  return { name: "counting", developmentOnly: false, channels: ["sms"], send: (m) => (sent.push(m), Promise.resolve({ providerRef: `SM${sent.length}` })) };
}

/** Two instances over one database, `count` parallel starts spread across them. */
async function burst(url: string, options: { provider?: () => PushProvider; channel?: () => MessageChannel }, method: string, count: number) {
  const make = () => createEngineWith({ databaseUrl: url, ...(options.provider ? { provider: options.provider() } : {}), ...(options.channel ? { channel: options.channel() } : {}) });
  const a = await make();
  const b = await make();
  try {
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, i) => (i % 2 === 0 ? a : b).engine.start(TECHNICIAN, { user: TEST_USERS.jane.upn, method })),
    );
    const refusals = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code?: string }).code] : []));
    return { started: results.filter((r) => r.status === "fulfilled").length, refusals };
  } finally {
    await a.close();
    await b.close();
  }
}

for (const dialect of DIALECTS) {
  describeUnless(`per-caller limits across two instances on ${dialect.name}`, dialect.skip, () => {
    it("sends at most 3 pushes to one caller from 20 parallel starts split over two instances", async () => {
      const counter = { pushes: 0 };
      const { started, refusals } = await burst(await dialect.newUrl(), { provider: () => countingProvider(counter) }, "counting-push", 20);
      assert.equal(started, 3);
      assert.equal(counter.pushes, 3, "the provider was asked for exactly three pushes");
      assert.deepEqual(new Set(refusals), new Set(["PUSH_LIMIT_REACHED"]));
    });

    it("sends at most 6 texts to one caller from 20 parallel starts split over two instances", async () => {
      const sent: OutboundMessage[] = [];
      const { started, refusals } = await burst(await dialect.newUrl(), { channel: () => countingChannel(sent) }, "sms", 20);
      assert.equal(started, 6);
      assert.equal(sent.length, 6, "exactly six texts left");
      assert.deepEqual(new Set(refusals), new Set(["SEND_LIMIT_REACHED"]));
    });
  });
}

import assert from "node:assert/strict";
import { describeUnless } from "../helpers/skip.js";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { duoConfigSchema } from "../../src/adapters/push/duo/duo-config.js";
import { createDuoPushProvider } from "../../src/adapters/push/duo/duo-push-provider.js";
import { canonicalRequest, canonParams, duoAuthorization, type DuoParams, type DuoSigningAlgorithm } from "../../src/adapters/push/duo/duo-signing.js";
import { startFakeDuo, type FakeDuo } from "../fakes/duo/fake-duo.js";
import { sharedContract } from "./contract-files.js";

interface SigningVectors {
  readonly canonParams: readonly { readonly params: DuoParams; readonly expected: string }[];
  readonly signatures: readonly {
    readonly algorithm: DuoSigningAlgorithm;
    readonly ikey: string;
    readonly skey: string;
    readonly method: string;
    readonly host: string;
    readonly path: string;
    readonly params: DuoParams;
    readonly date: string;
    readonly expected: string;
  }[];
}

const contract = sharedContract("duo/signing-vectors.json");
const vectors = contract.present ? (JSON.parse(readFileSync(contract.path, "utf8")) as SigningVectors) : null;
const RFC_2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} -0000$/;

describeUnless(
  "Duo request signing (duo_api_nodejs test vectors)",
  vectors === null ? `the Duo signing vectors are not at ${contract.path} (the shared/contracts folder sits beside the repository in CI)` : false,
  () => {
    const data = vectors as SigningVectors;

    it("has cases to check, including an HMAC-SHA512 one", () => {
      assert.ok(data.canonParams.length >= 6);
      assert.ok(data.signatures.some((s) => s.algorithm === "sha512"));
    });

    it("builds every canonical parameter string exactly", () => {
      for (const [i, c] of data.canonParams.entries()) assert.equal(canonParams(c.params), c.expected, `canonParams case ${i}`);
    });

    it("produces every Authorization header exactly", () => {
      for (const s of data.signatures) {
        const header = duoAuthorization(s.ikey, s.skey, { method: s.method, host: s.host, path: s.path, params: s.params, date: s.date }, s.algorithm);
        assert.equal(header, s.expected, `${s.algorithm} signature of ${s.method} ${s.path}`);
      }
    });

    describe("requests the provider really sends", () => {
      let fake: FakeDuo;
      before(async () => {
        fake = await startFakeDuo({
          users: [{ username: "j.o'neil+duo", caller: { action: "approve", afterMs: 20 }, passcodes: ["246810"] }],
          holdMs: 500,
        });
        const duo = createDuoPushProvider(
          duoConfigSchema.parse({ kind: "duo", apiHost: fake.apiHost, integrationKey: fake.integrationKey, secretKey: fake.secretKey, baseUrl: fake.baseUrl }),
          { name: "contract", clock: { now: () => new Date() }, log: pino({ level: "silent" }) },
        );
        const user = { id: "u", upn: "j@x.example", displayName: "Jö O'Neil (Ops) *", phones: [], emails: [], groups: [], privileged: false, providerIds: {}, unusable: [] };
        await duo.checkCredentials();
        await duo.describeUser({ providerUserId: "j.o'neil+duo", user, tenantId: "t" });
        const { transactionRef } = await duo.startPush({
          verificationId: "v",
          tenantId: "t",
          user,
          providerUserId: "j.o'neil+duo",
          title: "t",
          message: "Approve only if you called us! 100% (really) ~ é 🔐",
          context: { organisation: "Smith & Sons", technician: "Alice", ticket: "#42" },
          timeoutSeconds: 60,
        });
        while ((await duo.pollPush(transactionRef)).outcome === "waiting");
        await duo.checkPasscode({ verificationId: "v", tenantId: "t", user, providerUserId: "j.o'neil+duo", passcode: "246810" });
        await duo.close();
      });
      after(() => fake.close());

      it("covered check, preauth, auth (push and passcode) and auth_status, all accepted", () => {
        const paths = new Set(fake.requests.map((r) => r.path));
        assert.deepEqual([...paths].sort(), ["/auth/v2/auth", "/auth/v2/auth_status", "/auth/v2/check", "/auth/v2/preauth"]);
        for (const r of fake.requests) assert.equal(r.response?.status, 200, `${r.method} ${r.path}`);
      });

      it("signs each one validly, recomputed with the vectors' algorithm over what arrived", () => {
        for (const r of fake.requests) {
          const date = String(r.headers.date);
          assert.match(date, RFC_2822);
          const params: Record<string, string[]> = {};
          for (const [k, v] of r.params) (params[k] ??= []).push(v);
          const canonical = canonicalRequest({ method: r.method, host: fake.apiHost, path: r.path, params, date });
          const expected = `Basic ${Buffer.from(`${fake.integrationKey}:${createHmac("sha512", fake.secretKey).update(canonical).digest("hex")}`).toString("base64")}`;
          assert.equal(r.headers.authorization, expected, `${r.method} ${r.path}`);
        }
      });

      it("sends exactly the canonical string it signed, as the query or the form body", () => {
        for (const r of fake.requests) {
          const params: Record<string, string[]> = {};
          for (const [k, v] of r.params) (params[k] ??= []).push(v);
          const sent = r.method === "POST" ? r.rawBody : r.query.replace(/^\?/, "");
          assert.equal(sent, canonParams(params), `${r.method} ${r.path}`);
          if (r.method === "POST") assert.equal(r.headers["content-type"], "application/x-www-form-urlencoded");
        }
      });
    });
  },
);

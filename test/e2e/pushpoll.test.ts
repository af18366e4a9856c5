import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli, type CliResult } from "../helpers/cli.js";
import { JANE, startPushWorld, type PushWorld } from "./push-providers.js";

/**
 * The pushpoll tool's behaviour, for every provider: `verity verify -u USER -m MESSAGE -t TITLE
 * --method <provider>-push` prints the same lines and exits 0 (accepted), 1 (denied), 2 (timed
 * out); `--method <provider>-passcode` prompts for the code the caller reads from their app.
 */
describe("pushpoll parity against each provider's fake", () => {
  let w: PushWorld;
  before(async () => {
    w = await startPushWorld();
  });
  after(() => w.close());

  const verify = (method: string, extra: string[] = [], options: { stdin?: string } = {}): Promise<CliResult> =>
    runCli(["verify", "-u", JANE.upn, "-m", "Please verify your identity by approving this request.", "-t", "YourCompany Service Desk", "--method", method, ...extra], {
      cwd: w.dir,
      env: { VERITY_CONFIG: w.configPath, VERITY_TECHNICIAN: "Tom Tech" },
      timeoutMs: 30_000,
      ...options,
    });

  const script: Record<string, (answer: "approve" | "deny" | "ignore") => void> = {
    vip: (answer) => w.vip.setCaller(JANE.sam, answer === "ignore" ? { answer } : { answer, afterMs: 300 }),
    duo: (answer) => w.duo.setCaller(JANE.duo, answer === "ignore" ? { action: "ignore" } : { action: answer, afterMs: 300 }),
    okta: (answer) => w.okta.setCaller(JANE.upn, answer === "ignore" ? { action: "ignore" } : { action: answer, afterMs: 300 }),
    entra: (answer) => w.entra.setCaller(JANE.upn, answer === "ignore" ? { action: "ignore" } : { action: answer, afterMs: 300 }),
  };

  for (const provider of ["vip", "duo", "okta", "entra"]) {
    it(`${provider}-push: accepted → "SUCCESS! Push Accepted by USER", exit 0`, async () => {
      script[provider]?.("approve");
      const result = await verify(`${provider}-push`);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines[0], `Push Initiated for ${JANE.upn}`);
      assert.ok(lines.includes("Waiting for response..."));
      assert.equal(lines.at(-1), `SUCCESS! Push Accepted by ${JANE.upn}`);
      if (provider === "okta") assert.ok(lines.some((l) => /^Read this number to the caller: \d+ /.test(l)), "Okta's number challenge is read to the caller");
    });

    it(`${provider}-push: denied → "Push Denied by USER", exit 1`, async () => {
      script[provider]?.("deny");
      const result = await verify(`${provider}-push`);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.equal(result.stdout.trim().split("\n").at(-1), `Push Denied by ${JANE.upn}`);
    });

    it(`${provider}-push: no answer → "No response from USER (timed out)", exit 2`, async () => {
      script[provider]?.("ignore");
      const result = await verify(`${provider}-push`, ["--timeout", "3"]);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.equal(result.stdout.trim().split("\n").at(-1), `No response from ${JANE.upn} (timed out)`);
    });
  }

  it("sends the technician's title and text to VIP", async () => {
    script.vip?.("approve");
    await verify("vip-push");
    const push = [...w.vip.requests].reverse().find((r) => r.operation === "AuthenticateUserWithPushRequest");
    const body = push?.body ?? "";
    assert.ok(body.includes("YourCompany Service Desk") && body.includes("Please verify your identity by approving this request."));
    assert.ok(body.includes(`<userId>${JANE.sam}</userId>`), "the VIP user id is the sAMAccountName");
  });

  it("reports a push the provider cannot complete as a failure with what to fix, not as a denial (exit 3)", async () => {
    w.entra.setCaller(JANE.upn, { action: "result", value: "PhoneAppAllDevicesBlocked", afterMs: 300 });
    try {
      const result = await verify("entra-push");
      assert.equal(result.code, 3, result.stdout + result.stderr);
      const last = result.stdout.trim().split("\n").at(-1) ?? "";
      assert.match(last, new RegExp(`^Push to ${JANE.upn.replaceAll(".", "\\.")} failed: .*re-register the app`));
      assert.doesNotMatch(last, /denied/i);
    } finally {
      w.entra.setCaller(JANE.upn, { action: "approve", afterMs: 300 });
    }
  });

  const passcodes: [string, () => string][] = [
    ["okta-passcode", () => JANE.oktaTotp],
    ["duo-passcode", () => JANE.duoPasscode],
    ["entra-passcode", () => JANE.entraPasscode],
    ["vip-passcode", () => w.vip.validOtp(JANE.sam)],
  ];
  for (const [method, code] of passcodes) {
    it(`${method}: prompts for the code the caller reads, and the provider checks it`, async () => {
      const result = await verify(method, [], { stdin: `${code()}\n` });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /Ask Jane Doe for the code their (VIP Access app or token|Duo Mobile app or token|Okta Verify app|Microsoft Authenticator app) shows now\./);
      assert.match(result.stdout, /VERIFIED: Jane Doe read the current code from their /);
    });
  }
  // Last: a fraud report flags Jane for 24 hours, and a new verification would need an admin's override.
  it("reports a Duo fraud report as fraud", async () => {
    w.duo.setCaller(JANE.duo, { action: "fraud", afterMs: 300 });
    const result = await verify("duo-push");
    assert.equal(result.code, 1);
    assert.equal(result.stdout.trim().split("\n").at(-1), `Push Denied by ${JANE.upn}: reported as FRAUD`);
  });
});

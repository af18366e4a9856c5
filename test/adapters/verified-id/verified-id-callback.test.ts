import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { judgePresentation, type IdentityProofingService, type PendingPresentation, type PresentationOutcome } from "../../../src/domain/face-check.js";
import { createFakeClock } from "../../helpers/clock.js";
import { startCallbackSink, startFakeVerifiedId, type CallbackSink, type FakeVerifiedId } from "../../fakes/verified-id/fake-request-service.js";
import { API_KEY, ISSUER, UPN, rejectsWith, vidConfig, vidService } from "./verified-id-kit.js";

/**
 * The callbacks as the fake's wallet sends them, received by a local sink, then authenticated,
 * read and judged as the hook route does (SECURITY.md item 32).
 */
describe("Verified ID callbacks", () => {
  const clock = createFakeClock();
  let fake: FakeVerifiedId;
  let sink: CallbackSink;
  let service: IdentityProofingService;
  before(async () => {
    fake = await startFakeVerifiedId({ clock });
    sink = await startCallbackSink();
    service = vidService(vidConfig(fake.url), clock).service;
  });
  after(async () => {
    await service.close();
    await Promise.all([fake.close(), sink.close()]);
  });

  let n = 0;
  /** A fresh request and what Verity would have pending for it. */
  async function started(): Promise<PendingPresentation> {
    n += 1;
    const state = `state-${n}-${"x".repeat(20)}`;
    const { requestId } = await service.createPresentation({ state, subject: { upn: UPN, mail: "jane@contoso.example" }, callbackUrl: sink.url });
    return { requestId, state, subject: { upn: UPN, mail: "jane@contoso.example" } };
  }

  /** The last callback the sink got, authenticated and judged. */
  function judged(pending: PendingPresentation | undefined): PresentationOutcome {
    const last = sink.received.at(-1);
    assert.ok(last !== undefined, "a callback arrived");
    assert.equal(service.authenticateCallback(last.headers), true);
    return judgePresentation(service.readCallback(last.body), pending, service.rules);
  }

  it("authenticates only the configured api-key, in any length, never as an array", async () => {
    const pending = await started();
    assert.equal(await fake.retrieve(pending.requestId), 200);
    const last = sink.received.at(-1);
    assert.equal(last?.headers["api-key"], API_KEY, "the service sends back the header it was given");
    assert.equal(service.authenticateCallback({}), false);
    assert.equal(service.authenticateCallback({ "api-key": "" }), false);
    assert.equal(service.authenticateCallback({ "api-key": API_KEY.slice(0, -1) }), false);
    assert.equal(service.authenticateCallback({ "api-key": `${API_KEY}0` }), false);
    assert.equal(service.authenticateCallback({ "api-key": `${API_KEY.slice(0, 10)}X${API_KEY.slice(11)}` }), false);
    assert.equal(service.authenticateCallback({ "api-key": [API_KEY, API_KEY] }), false);
    assert.equal(service.authenticateCallback({ authorization: API_KEY }), false);
    assert.equal(service.authenticateCallback({ "api-key": API_KEY }), true);
  });

  it("request_retrieved: the caller opened the link", async () => {
    const pending = await started();
    await fake.retrieve(pending.requestId);
    assert.deepEqual(judged(pending), { kind: "retrieved" });
  });

  it("presentation_verified with the subject's valid credential and a score at the threshold or above: verified with the score only", async () => {
    const pending = await started();
    await fake.present(pending.requestId, { score: 92.314159 });
    const last = sink.received.at(-1);
    const read = service.readCallback(last?.body);
    assert.ok(!JSON.stringify(read).includes("photo"), "the photo claim is dropped while reading");
    assert.ok(!JSON.stringify(read).includes("Simulated Employee"), "claims not checked are dropped");
    assert.deepEqual(judged(pending), { kind: "verified", score: 92.314159 });
    const atThreshold = await started();
    await fake.present(atThreshold.requestId, { score: 70 });
    assert.deepEqual(judged(atThreshold), { kind: "verified", score: 70 });
  });

  it("refuses a callback for an unknown request, or once the request is no longer pending (a replay)", async () => {
    const pending = await started();
    await fake.present(pending.requestId, { score: 95 });
    assert.deepEqual(judged(undefined), { kind: "refused", reason: "unknown_request" });
    assert.deepEqual(judged({ ...pending, requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11" }), { kind: "refused", reason: "unknown_request" });
  });

  it("refuses a callback whose state is not the request's", async () => {
    const pending = await started();
    await fake.present(pending.requestId, { score: 95 });
    assert.deepEqual(judged({ ...pending, state: `${pending.state}-other` }), { kind: "refused", reason: "state_mismatch" });
    assert.deepEqual(judged({ ...pending, state: "" }), { kind: "refused", reason: "state_mismatch" });
  });

  it("another person's credential is a fraud rejection, even with a high score", async () => {
    const pending = await started();
    await fake.present(pending.requestId, { score: 99, revocationId: "john.smith@contoso.example", mail: "john.smith@contoso.example" });
    assert.deepEqual(judged(pending), { kind: "rejected", reason: "other_subject", fraud: true });
  });

  it("matches the UPN case-insensitively, and falls back to mail only when there is no revocationId", async () => {
    const upper = await started();
    await fake.present(upper.requestId, { score: 80, revocationId: UPN.toUpperCase() });
    assert.equal(judged(upper).kind, "verified");
    const mailOnly = await started();
    await fake.sendRaw(mailOnly.requestId, verifiedBody(mailOnly, { claims: { mail: "JANE@contoso.example" } }));
    assert.equal(judged(mailOnly).kind, "verified");
    const otherMail = await started();
    await fake.sendRaw(otherMail.requestId, verifiedBody(otherMail, { claims: { mail: "mallory@contoso.example" } }));
    assert.deepEqual(judged(otherMail), { kind: "rejected", reason: "other_subject", fraud: true });
    const none = await started();
    await fake.sendRaw(none.requestId, verifiedBody(none, { claims: { displayName: "Jane" } }));
    assert.deepEqual(judged(none), { kind: "rejected", reason: "subject_unreadable", fraud: false });
  });

  it("rejects a revoked credential, a wrong issuer and a wrong credential type", async () => {
    const revoked = await started();
    await fake.present(revoked.requestId, { score: 95, revocationStatus: "REVOKED" });
    assert.deepEqual(judged(revoked), { kind: "rejected", reason: "credential_not_valid", fraud: false });
    const noState = await started();
    await fake.sendRaw(noState.requestId, verifiedBody(noState, { credentialState: undefined }));
    assert.deepEqual(judged(noState), { kind: "rejected", reason: "credential_not_valid", fraud: false });
    const issuer = await started();
    await fake.present(issuer.requestId, { score: 95, issuer: "did:web:attacker.example" });
    assert.deepEqual(judged(issuer), { kind: "rejected", reason: "issuer_not_accepted", fraud: false });
    const type = await started();
    await fake.present(type.requestId, { score: 95, type: "VerifiedCredentialExpert" });
    assert.deepEqual(judged(type), { kind: "rejected", reason: "wrong_credential_type", fraud: false });
  });

  it("rejects a score below the threshold even when the status says verified, and a missing Face Check", async () => {
    const low = await started();
    await fake.sendRaw(low.requestId, verifiedBody(low, { faceCheck: { matchConfidenceScore: 69.99, sourcePhotoQuality: "HIGH" } }));
    assert.deepEqual(judged(low), { kind: "rejected", reason: "score_below_threshold", fraud: false });
    const none = await started();
    await fake.sendRaw(none.requestId, verifiedBody(none, { faceCheck: undefined }));
    assert.deepEqual(judged(none), { kind: "rejected", reason: "no_face_check", fraud: false });
  });

  it("presentation_error: rejected with the service's code and no score", async () => {
    const low = await started();
    await fake.present(low.requestId, { score: 41 });
    const last = sink.received.at(-1);
    assert.ok(!JSON.stringify(last?.body).includes("matchConfidenceScore"), "the service does not send a failed score");
    assert.deepEqual(judged(low), { kind: "rejected", reason: "presentation_error", fraud: false, errorCode: "claimValidationError" });
    const declined = await started();
    await fake.fail(declined.requestId, "userCanceled");
    assert.deepEqual(judged(declined), { kind: "rejected", reason: "presentation_error", fraud: false, errorCode: "userCanceled" });
  });

  it("refuses a body that is not a presentation callback", () => {
    for (const body of [undefined, null, "x", {}, { requestId: "r", state: "s", requestStatus: "issuance_successful" }, { requestId: "r", state: "s", requestStatus: "presentation_verified", verifiedCredentialsData: [] }]) {
      assert.throws(() => service.readCallback(body), (error: unknown) => error instanceof Error && "code" in error && error.code === "VALIDATION_FAILED");
    }
  });

  it("a create refused by the fake never reaches the wallet", async () => {
    fake.failNext(403);
    await rejectsWith(service.createPresentation({ state: "s".repeat(22), subject: { upn: UPN }, callbackUrl: sink.url }), "UPSTREAM_AUTH_FAILED");
  });
});

/** A presentation_verified body as the service documents it, with parts replaced. */
function verifiedBody(pending: PendingPresentation, credential: Record<string, unknown>): unknown {
  return {
    requestId: pending.requestId,
    requestStatus: "presentation_verified",
    state: pending.state,
    subject: "did:web:wallet.example:1",
    verifiedCredentialsData: [
      {
        issuer: ISSUER,
        type: ["VerifiableCredential", "VerifiedEmployee"],
        claims: { revocationId: UPN },
        credentialState: { revocationStatus: "VALID" },
        domainValidation: { url: "https://contoso.example/" },
        faceCheck: { matchConfidenceScore: 88, sourcePhotoQuality: "HIGH" },
        ...credential,
      },
    ],
  };
}

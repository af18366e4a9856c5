import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createdSchema, readPresentationCallback, requestErrorSchema } from "../../../src/adapters/verified-id/verified-id-schemas.js";

/**
 * The JSON examples of Microsoft's own pages (MicrosoftDocs/entra-docs
 * docs/verified-id/presentation-request-api.md, using-facecheck.md, error-codes.md), read by
 * Verity's schemas exactly as published (the example data, not code).
 */
describe("Verified ID payloads as Microsoft documents them", () => {
  it("reads the 201 answer of createPresentationRequest", () => {
    const parsed = createdSchema.parse({
      requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11",
      url: "openid-vc://?request_uri=https://verifiedid.did.msidentity.com/v1.0/00001111-aaaa-2222-bbbb-3333cccc4444/verifiableCredentials/presentationRequests/e4ef27ca-eb8c-4b63-823b-3b95140eac11",
      expiry: 1633017751,
      qrCode: "data:image/png;base64,iVBORw0KGgoA<SNIP>",
    });
    assert.equal(parsed.expiry, 1633017751);
  });

  it("reads the error envelope, old and new", () => {
    const current = requestErrorSchema.parse({
      requestId: "782628eb-503a-4978-84f2-d7c634f25b15",
      date: "Fri, 29 Apr 2022 11:20:19 GMT",
      mscv: "QbBLwF7XAp0dt4Lw.1",
      error: { code: "badRequest", message: "The request is invalid.", innererror: { code: "badOrMissingField", message: "The request contains `includeQRCode`, but it is not boolean.", target: "includeQRCode" } },
    });
    assert.equal(current.error.innererror?.target, "includeQRCode");
    const preview = requestErrorSchema.parse({
      requestId: "4bb6726f77af7623ab52962323016442",
      date: "Thu, 28 Apr 2022 14:30:54 GMT",
      mscv: "17ppwf3uxR10MfRR.1",
      error: { code: "client_request.invalid_include_qr_code", message: "The request contains `includeQRCode`, but it is not boolean." },
    });
    assert.equal(preview.error.code, "client_request.invalid_include_qr_code");
  });

  it("reads request_retrieved", () => {
    assert.deepEqual(readPresentationCallback({ requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11", requestStatus: "request_retrieved", state: "92d076dd-450a-4247-aa5b-d2e75a1a5d58" }), {
      status: "request_retrieved",
      requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11",
      state: "92d076dd-450a-4247-aa5b-d2e75a1a5d58",
    });
  });

  it("reads presentation_verified (with a receipt, which is dropped) and its Face Check section", () => {
    const read = readPresentationCallback({
      requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11",
      requestStatus: "presentation_verified",
      state: "92d076dd-450a-4247-aa5b-d2e75a1a5d58",
      subject: "did:web:verifiedid.contoso.com",
      verifiedCredentialsData: [
        {
          issuer: "did:web:yourdomain.com",
          type: ["VerifiableCredential", "VerifiedEmployee"],
          claims: { firstName: "Megan", lastName: "Bowen" },
          credentialState: { revocationStatus: "VALID" },
          domainValidation: { url: "https://contoso.com/" },
          issuanceDate: "yyyy-MM-ddTHH:mm:ssZ",
          expirationDate: "yyyy-MM-ddTHH:mm:ssZ",
          faceCheck: { matchConfidenceScore: 86.314159, sourcePhotoQuality: "HIGH" },
        },
      ],
      receipt: { id_token: "eyJraWQiOiJkaWQ6aW<SNIP>", vp_token: "...", state: "..." },
    });
    assert.deepEqual(read, {
      status: "presentation_verified",
      requestId: "e4ef27ca-eb8c-4b63-823b-3b95140eac11",
      state: "92d076dd-450a-4247-aa5b-d2e75a1a5d58",
      credentials: [{ issuer: "did:web:yourdomain.com", types: ["VerifiableCredential", "VerifiedEmployee"], revocationStatus: "VALID", revocationId: null, mail: null, score: 86.314159 }],
    });
  });

  it("reads the failed Face Check's presentation_error", () => {
    assert.deepEqual(
      readPresentationCallback({ requestId: "r1", requestStatus: "presentation_error", state: "s1", error: { code: "claimValidationError", message: "Match confidence score failing to meet the threshold." } }),
      { status: "presentation_error", requestId: "r1", state: "s1", errorCode: "claimValidationError" },
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_PRIVILEGED_ROLE_TEMPLATE_IDS, entraDirectoryConfigSchema } from "../../../src/adapters/directory/entra/entra-config.js";
import { testCertificate } from "../../fakes/entra/test-certificate.js";
import { APP_ID, SECRET } from "./entra-fixtures.js";

const base = { kind: "entra", clientId: APP_ID.toUpperCase(), credential: { kind: "secret", secret: SECRET } };

describe("Entra directory configuration", () => {
  it("fills Microsoft's global cloud and the documented defaults", () => {
    const config = entraDirectoryConfigSchema.parse(base);
    assert.equal(config.clientId, APP_ID, "GUIDs are lower-cased");
    assert.equal(config.loginUrl, "https://login.microsoftonline.com");
    assert.equal(config.graphUrl, "https://graph.microsoft.com");
    assert.equal(config.recentChangeDays, 7);
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.tenantId, undefined);
    assert.equal(config.privilegedRoleTemplateIds.length, 13);
    assert.ok(config.privilegedRoleTemplateIds.includes("62e90394-69f5-4237-9190-012177145e10"), "Global Administrator");
    assert.deepEqual(config.privilegedRoleTemplateIds, [...DEFAULT_PRIVILEGED_ROLE_TEMPLATE_IDS]);
  });

  it("keeps the secret out of serialised configuration", () => {
    const config = entraDirectoryConfigSchema.parse(base);
    assert.ok(!JSON.stringify(config).includes(SECRET));
  });

  it("defaults a certificate credential to PS256 and checks the key belongs to the certificate", () => {
    const mine = testCertificate("verity-registered");
    const other = testCertificate("verity-unregistered");
    const ok = entraDirectoryConfigSchema.parse({ ...base, credential: { kind: "certificate", privateKey: mine.privateKey, certificate: mine.certificate } });
    assert.equal(ok.credential.kind === "certificate" && ok.credential.algorithm, "PS256");
    const mismatch = entraDirectoryConfigSchema.safeParse({ ...base, credential: { kind: "certificate", privateKey: other.privateKey, certificate: mine.certificate } });
    assert.equal(mismatch.success, false);
    assert.match(JSON.stringify(mismatch.error?.issues), /does not belong to the configured certificate/);
    const garbage = entraDirectoryConfigSchema.safeParse({ ...base, credential: { kind: "certificate", privateKey: "nope", certificate: "nope" } });
    assert.match(JSON.stringify(garbage.error?.issues), /must be a PEM X\.509 certificate/);
  });

  it("refuses ids that are not GUIDs, unknown keys and out-of-range windows", () => {
    for (const bad of [{ tenantId: "contoso.com" }, { clientId: "verity" }, { recentChangeDays: 91 }, { recentChangeDays: -1 }, { graphUrl: "ftp://x" }, { extra: 1 }]) {
      assert.equal(entraDirectoryConfigSchema.safeParse({ ...base, ...bad }).success, false, JSON.stringify(bad));
    }
  });
});

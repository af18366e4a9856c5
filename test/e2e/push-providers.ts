import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { startFakeDuo, type FakeDuo } from "../fakes/duo/fake-duo.js";
import { startFakeEntraMfa, type FakeEntraMfa } from "../fakes/entra-mfa/fake-entra-mfa.js";
import { startFakeOkta, type FakeOkta } from "../fakes/okta/fake-okta.js";
import { startFakeVip, type FakeVip } from "../fakes/vip/fake-vip.js";

/** The caller, as the directory and each provider know her. */
export const JANE = {
  upn: "jane.doe@acme.example",
  sam: "jdoe",
  duo: "jane",
  oktaTotp: "246810",
  duoPasscode: "13572468",
  entraPasscode: "864200",
};

const MFA_TENANT = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
const MFA_SECRET = "short-lived-mfa-client-secret";

export interface PushWorld {
  readonly dir: string;
  readonly configPath: string;
  readonly vip: FakeVip;
  readonly duo: FakeDuo;
  readonly okta: FakeOkta;
  readonly entra: FakeEntraMfa;
  close(): Promise<void>;
}

/**
 * Verity configured with every push provider at once, each against its local fake: a file
 * directory for the caller, VIP over mutual TLS (user id = sAMAccountName), Duo with signed
 * requests, Okta with an API token, and the Entra MFA connector with a secret.
 */
export async function startPushWorld(): Promise<PushWorld> {
  const dir = mkdtempSync(join(tmpdir(), "verity-push-"));
  const vip = await startFakeVip();
  const duo = await startFakeDuo({
    users: [
      {
        username: JANE.duo,
        devices: [{ device: "DPFZRS9FB0D46QFTM899", type: "phone", number: "XXX-XXX-0100", display_name: "iOS (XXX-XXX-0100)", capabilities: ["auto", "push", "mobile_otp"] }],
        passcodes: [JANE.duoPasscode],
      },
    ],
  });
  const okta = await startFakeOkta({
    users: [
      {
        login: JANE.upn,
        factors: [
          { factorType: "push", provider: "OKTA", profile: { name: "Jane's iPhone", platform: "IOS" } },
          { factorType: "token:software:totp", provider: "OKTA", passCode: JANE.oktaTotp },
        ],
      },
    ],
  });
  const entra = await startFakeEntraMfa({
    tenants: [
      {
        id: MFA_TENANT,
        domains: ["acme.example"],
        mfaClient: { secrets: [{ value: MFA_SECRET }] },
        users: [{ upn: JANE.upn, defaultMethod: "PhoneAppNotification", passcode: JANE.entraPasscode }],
      },
    ],
  });
  writeFileSync(join(dir, "vip-cert.pem"), vip.pki.client.cert);
  writeFileSync(join(dir, "vip-key.pem"), vip.pki.client.key, { mode: 0o600 });
  writeFileSync(join(dir, "vip-ca.pem"), vip.pki.ca.cert);
  writeFileSync(
    join(dir, "directory.yaml"),
    stringify({ users: [{ id: "u-1", upn: JANE.upn, displayName: "Jane Doe", samAccountName: JANE.sam, providerIds: { duo: JANE.duo } }] }),
  );
  const config = {
    dataDir: join(dir, "data"),
    log: { level: "warn" },
    // pushpoll's -t and -m word the push: this deployment allows custom push text.
    verification: { allowCustomPushText: true, limits: { pushes: { max: 1000, windowSeconds: 900 }, failures: { max: 1000, windowSeconds: 86_400 }, technician: { max: 100_000, windowSeconds: 3600 } } },
    providers: {
      vip: {
        kind: "vip",
        authUrl: vip.authUrl,
        queryUrl: vip.queryUrl,
        certificate: `\${file:${join(dir, "vip-cert.pem")}}`,
        privateKey: `\${file:${join(dir, "vip-key.pem")}}`,
        ca: `\${file:${join(dir, "vip-ca.pem")}}`,
      },
      duo: { kind: "duo", apiHost: duo.apiHost, baseUrl: duo.baseUrl, integrationKey: duo.integrationKey, secretKey: duo.secretKey },
      okta: { kind: "okta", orgUrl: okta.baseUrl, auth: { kind: "ssws", token: okta.apiToken } },
      authenticator: {
        kind: "entra",
        tenantId: MFA_TENANT,
        credential: { kind: "secret", secret: MFA_SECRET },
        loginUrl: entra.loginUrl,
        connectorUrl: entra.connectorUrl,
      },
    },
    tenants: [
      {
        id: "acme",
        name: "Acme",
        domains: ["acme.example"],
        directory: { kind: "file", path: join(dir, "directory.yaml") },
        methods: {
          "vip-push": { provider: "vip", userId: "sam-account-name" },
          "vip-passcode": { provider: "vip", userId: "sam-account-name" },
          "duo-push": "duo",
          "duo-passcode": "duo",
          "okta-push": "okta",
          "okta-passcode": "okta",
          "entra-push": "authenticator",
          "entra-passcode": "authenticator",
        },
      },
    ],
  };
  const configPath = join(dir, "verity.yaml");
  writeFileSync(configPath, stringify(config));
  return {
    dir,
    configPath,
    vip,
    duo,
    okta,
    entra,
    async close() {
      await Promise.all([vip.close(), duo.close(), okta.close(), entra.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

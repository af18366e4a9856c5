import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseConfig, type LoadedConfig } from "./load.js";

/** The package's own folder (this file is dist/src/config/demo.js once built). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const DEMO_PORT = 8787;

/**
 * The built-in DEMO: two fictional client organisations of an MSP, a console channel instead of
 * SMS and email, and a simulated push/passcode provider answered from the demo phone page.
 * Data goes to ./data/demo under the working directory.
 */
export function demoConfig(env: NodeJS.ProcessEnv, cwd: string, port = DEMO_PORT): LoadedConfig {
  const raw = {
    dataDir: "./data/demo",
    log: { level: "warn" },
    // The port is where confirmation links point (`verity demo --port` moves them too).
    server: { host: "127.0.0.1", port },
    // Anchors every 10 s, so `audit verify --demo` during the tour has one to check against.
    audit: { anchor: { intervalSeconds: 10 } },
    providers: {
      console: { kind: "console" },
      "demo-phone": { kind: "simulated" },
      // Microsoft Entra Verified ID with Face Check, against a simulated Request Service and wallet
      // on this demo server's own loopback address (the demo phone presents the credential).
      "demo-faceid": {
        kind: "verified-id",
        tenantId: "d3e0c0de-0000-4000-8000-00000000de70",
        clientId: "d3e0c0de-0000-4000-8000-00000000c11e",
        clientSecret: "${VERITY_DEMO_VERIFIED_ID_SECRET}",
        authority: "did:web:verifiedid.acme.example",
        acceptedIssuers: ["did:web:verifiedid.acme.example"],
        clientName: "Acme service desk (DEMO)",
        callbackApiKey: "${VERITY_DEMO_VERIFIED_ID_CALLBACK_KEY}",
        loginUrl: `http://127.0.0.1:${port}/demo/verified-id/demo-faceid`,
        requestServiceUrl: `http://127.0.0.1:${port}/demo/verified-id/demo-faceid`,
      },
      // The demo's own identity provider (/demo/idp on this server): sign-in verification without internet or accounts.
      "demo-signin": { kind: "simulated-signin", issuer: `http://127.0.0.1:${port}/demo/idp`, clientId: "verity-demo" },
    },
    tenants: [
      {
        id: "acme",
        name: "Acme Widgets",
        domains: ["acme.example"],
        directory: { kind: "file", path: `${PACKAGE_ROOT}demo/acme-directory.yaml` },
        methods: {
          sms: "console",
          email: "console",
          "sms-link": "console",
          "email-link": "console",
          "sms-faceid": { provider: "console", service: "demo-faceid" },
          "email-faceid": { provider: "console", service: "demo-faceid" },
          "manager-approval": "console",
          "sms-signin": { provider: "console", service: "demo-signin" },
          "email-signin": { provider: "console", service: "demo-signin" },
          "simulated-push": "demo-phone",
          "simulated-passcode": "demo-phone",
        },
      },
      {
        id: "globex",
        name: "Globex Corporation",
        domains: ["globex.example"],
        directory: { kind: "file", path: `${PACKAGE_ROOT}demo/globex-directory.csv` },
        methods: {
          sms: "console",
          email: "console",
          "sms-link": "console",
          "email-link": "console",
          "sms-signin": { provider: "console", service: "demo-signin" },
          "email-signin": { provider: "console", service: "demo-signin" },
          "manager-approval": "console",
          "simulated-push": "demo-phone",
        },
        policy: { default: "warn", rules: { privileged: "block" } },
      },
    ],
  };
  // The simulated Request Service's secrets are new at every start and never written anywhere.
  const secrets = { VERITY_DEMO_VERIFIED_ID_SECRET: randomBytes(24).toString("base64url"), VERITY_DEMO_VERIFIED_ID_CALLBACK_KEY: randomBytes(32).toString("base64url") };
  return parseConfig(raw, { env: { ...env, ...secrets }, baseDir: cwd, source: "built-in demo", demo: true });
}

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { runInNewContext } from "node:vm";
import { sharedSecretAuthSchema } from "../../../src/adapters/ticketing/shared/webhook-auth.js";
import { createSnowTrigger } from "../../../src/adapters/ticketing/servicenow/servicenow-trigger.js";
import { uiActionRequest } from "../../fakes/servicenow/servicenow-ui-action.js";
import { WEBHOOK_SECRET } from "./snow-test-setup.js";

const DOC = readFileSync(new URL("../../../../docs/integrations/servicenow.md", import.meta.url), "utf8");
/** The first javascript block of the docs page: the "Verify caller" UI Action script. */
const SCRIPT = /```javascript\n([\s\S]*?)```/.exec(DOC)?.[1] ?? "";

const NOW_MS = Date.parse("2026-12-07T09:00:00Z");
const GUID = "6f0c9d2e1b3a4c5d8e7f6a5b4c3d2e1f";
const SYS_ID = "0123456789abcdef0123456789abcdef";

interface Sent {
  endpoint: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  messages: string[];
  redirected: boolean;
}

/**
 * Runs the documented script against stand-ins for the ServiceNow APIs it calls, each doing what
 * its documentation says (generateMac: HMAC of `data` under the base64-decoded key, result in
 * base64), and returns the request it would send.
 */
function runDocumentedScript(record: { table: string; number: string; callerEmail: string; agent: string }, status = 202): Sent {
  const sent: Sent = { endpoint: "", method: "", headers: {}, body: "", messages: [], redirected: false };
  const callerRef = { email: record.callerEmail };
  const context = {
    gs: {
      getProperty: (name: string) => ({ "verity.url": "https://verity.example/", "verity.system": "servicedesk", "verity.credential": "cred-1" })[name] ?? "",
      generateGUID: () => GUID,
      getUserName: () => record.agent,
      addInfoMessage: (m: string) => sent.messages.push(`info: ${m}`),
      addErrorMessage: (m: string) => sent.messages.push(`error: ${m}`),
    },
    sn_cc: {
      StandardCredentialsProvider: class {
        getCredentialByID(id: string) {
          assert.equal(id, "cred-1");
          return { getAttribute: (name: string) => (name === "password" ? WEBHOOK_SECRET : "") };
        }
      },
    },
    GlideDateTime: class {
      getNumericValue() {
        return NOW_MS;
      }
    },
    GlideCertificateEncryption: class {
      generateMac(key: string, algorithm: string, data: string) {
        assert.equal(algorithm, "HmacSHA256");
        return createHmac("sha256", Buffer.from(key, "base64")).update(data, "utf8").digest("base64");
      }
    },
    sn_ws: {
      RESTMessageV2: class {
        setEndpoint(url: string) {
          sent.endpoint = url;
        }
        setHttpMethod(method: string) {
          sent.method = method;
        }
        setHttpTimeout() {}
        setRequestHeader(name: string, value: string) {
          sent.headers[name.toLowerCase()] = value;
        }
        setRequestBody(body: string) {
          sent.body = body;
        }
        execute() {
          return { getStatusCode: () => status, haveError: () => false, getBody: () => "{}", getErrorMessage: () => "" };
        }
      },
    },
    current: {
      getTableName: () => record.table,
      getUniqueValue: () => SYS_ID,
      getValue: (field: string) => (field === "number" ? record.number : ""),
      caller_id: callerRef,
      requested_for: callerRef,
      request_item: { requested_for: callerRef },
    },
    action: {
      setRedirectURL: () => {
        sent.redirected = true;
      },
    },
  };
  runInNewContext(SCRIPT, context);
  return sent;
}

describe("the documented UI Action script", () => {
  it("is on the page", () => {
    assert.match(SCRIPT, /GlideCertificateEncryption\(\)\.generateMac/);
    assert.ok(!/whsec_[A-Za-z0-9+/]{20,}/.test(SCRIPT), "no secret in the script");
  });

  it("sends exactly what the fake's helper builds, and Verity accepts and reads it", async () => {
    const record = { table: "sc_task", number: "SCTASK0010003", callerEmail: "priya.patel@fabrikam.example", agent: "zoë.müller" };
    const sent = runDocumentedScript(record);
    assert.equal(sent.endpoint, "https://verity.example/hooks/ticketing/servicedesk");
    assert.equal(sent.method, "post");
    const helper = uiActionRequest(
      { table: record.table, sysId: SYS_ID, number: record.number, requestedBy: record.agent, callerEmail: record.callerEmail, id: GUID, timestampSeconds: NOW_MS / 1000 },
      { kind: "standard-webhooks", secret: WEBHOOK_SECRET },
    );
    assert.equal(sent.body, helper.body);
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"]) assert.equal(sent.headers[name], helper.headers[name], name);

    const trigger = createSnowTrigger(sharedSecretAuthSchema.parse({ kind: "standard-webhooks", secret: WEBHOOK_SECRET }), ["incident", "sc_task"]);
    const request = { headers: sent.headers, rawBody: Buffer.from(sent.body, "utf8"), query: {}, ip: "203.0.113.9", receivedAt: new Date(NOW_MS + 2000) };
    await trigger.authenticate(request);
    assert.deepEqual(trigger.parse(request), [{ deliveryId: GUID, ticket: record.number, raisedAt: new Date(NOW_MS), agent: record.agent, emailHint: record.callerEmail }]);
    assert.deepEqual(sent.messages, ["info: Verity is verifying the caller. Its progress appears in the work notes."]);
    assert.ok(sent.redirected);
  });

  it("tells the agent when Verity refuses", () => {
    const sent = runDocumentedScript({ table: "incident", number: "INC0010001", callerEmail: "", agent: "beth.anglin" }, 401);
    assert.match(sent.messages[0] ?? "", /^error: Verity did not accept the request \(HTTP 401\)/);
    assert.match(sent.body, /"callerEmail":""/);
  });
});

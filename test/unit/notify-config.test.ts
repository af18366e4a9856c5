import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { destinationLabel } from "../../src/adapters/notify/notify-config.js";
import { configProblems, parseConfig } from "../../src/config/load.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const SLACK = "https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx";
const TEAMS = "https://prod-12.westeurope.logic.azure.com:443/workflows/0123/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SeCrEtSiG";
const env = { EVENTS_SECRET: SECRET, SLACK_URL: SLACK, TEAMS_URL: TEAMS };

const tenant = (extra: Record<string, unknown> = {}) => ({
  id: "acme",
  name: "Acme",
  domains: ["acme.test"],
  directory: { kind: "file", path: "dir.yaml" },
  methods: { sms: "console" },
  ...extra,
});
const parse = (raw: Record<string, unknown>) =>
  parseConfig({ providers: { console: { kind: "console" } }, tenants: [tenant()], ...raw }, { env, baseDir: "/tmp", source: "test", demo: false });
const problemsOf = (raw: Record<string, unknown>) => {
  try {
    parse(raw);
  } catch (error) {
    const problems = configProblems(error);
    if (problems !== undefined) return problems;
    throw error;
  }
  return assert.fail("expected the configuration to be refused");
};

describe("notifications configuration", () => {
  it("takes a top-level list and a tenant's own, secrets through ${ENV}, with no warnings", () => {
    const loaded = parse({
      notifications: [{ kind: "webhook", url: "https://siem.example.com/hooks/verity?token=q", secret: "${EVENTS_SECRET}" }],
      tenants: [
        tenant({
          notifications: [
            { kind: "teams", url: "${TEAMS_URL}" },
            { kind: "slack", name: "fraud desk", url: "${SLACK_URL}", events: ["verification.fraud_reported"], outcomes: ["fraud", "failed"] },
          ],
        }),
      ],
    });
    const { config } = loaded;
    assert.deepEqual(loaded.warnings, []);
    assert.equal(config.notifications.length, 1);
    const own = config.tenants[0]?.notifications ?? [];
    const teams = own[0]!;
    const slack = own[1]!;
    assert.equal(slack.kind, "slack");
    assert.deepEqual(slack.events, ["verification.fraud_reported"]);
    assert.equal(destinationLabel(config.notifications[0]!), "webhook https://siem.example.com");
    assert.equal(destinationLabel(teams), "teams https://prod-12.westeurope.logic.azure.com");
    assert.equal(destinationLabel(slack), 'slack "fraud desk" https://hooks.slack.com');
    const shown = `${inspect(config, { depth: 10 })} ${JSON.stringify(config)}`;
    for (const secret of [SECRET, "SeCrEtSiG", "abcdefghijklmnopqrstuvwx"]) assert.ok(!shown.includes(secret), "secrets print as [redacted]");
  });

  it("warns when a secret URL or whsec secret is written into the file", () => {
    const loaded = parse({ notifications: [{ kind: "slack", url: SLACK }, { kind: "webhook", url: "https://x.example.com/", secret: SECRET }] });
    assert.deepEqual(
      loaded.warnings.map((w) => w.path),
      ["notifications[0].url", "notifications[1].secret"],
    );
  });

  it("refuses bad destinations with clear messages that never repeat the URL", () => {
    const problems = problemsOf({
      notifications: [
        { kind: "webhook", url: "http://siem.example.com/hooks", secret: "${EVENTS_SECRET}" },
        { kind: "webhook", url: "https://siem.example.com/hooks", secret: "whsec_dG9vLXNob3J0" },
        { kind: "webhook", url: "https://siem.example.com/hooks" },
        { kind: "slack", url: "http://hooks.slack.com/services/T/B/leakyleakyleaky" },
        { kind: "teams", url: "not a url at all leakyleakyleaky" },
        { kind: "slack", url: "${SLACK_URL}", events: ["verification.started"] },
        { kind: "slack", url: "${SLACK_URL}", events: [] },
        { kind: "slack", url: "${SLACK_URL}", outcomes: ["maybe"] },
        { kind: "pager", url: "${SLACK_URL}" },
        { kind: "slack", url: "https://user:pw@hooks.slack.com/services/T/B/x" },
      ],
      tenants: [tenant({ notifications: [{ kind: "teams", url: "${UNSET_TEAMS_URL}" }] })],
    });
    const byPath = (path: string) => problems.filter((p) => p.path === path).map((p) => p.message).join(" | ");
    assert.match(byPath("notifications[0].url"), /https:\/\/ URL \(http only for 127\.0\.0\.1 or localhost\)/);
    assert.match(byPath("notifications[1].secret"), /whsec_ followed by the base64 of 24 to 64 random bytes/);
    assert.ok(problems.some((p) => p.path.startsWith("notifications[2]") && /secret/.test(`${p.path} ${p.message}`)), "a webhook needs its secret");
    assert.match(byPath("notifications[3].url"), /https:\/\/.*credential/);
    assert.match(byPath("notifications[4].url"), /https:\/\//);
    assert.match(byPath("notifications[5].events[0]"), /verification\.completed, verification\.fraud_reported/);
    assert.match(byPath("notifications[6].events"), /at least one event type/);
    assert.match(byPath("notifications[7].outcomes[0]"), /verified, denied/);
    assert.match(problems.map((p) => `${p.path} ${p.message}`).join("\n"), /notifications\[8\].*webhook, teams, slack or email/);
    assert.match(byPath("notifications[9].url"), /https:\/\//);
    assert.match(byPath("tenants[0].notifications[0].url"), /UNSET_TEAMS_URL is not set/);
    assert.ok(!JSON.stringify(problems).includes("leakyleakyleaky"), "no message repeats a URL");
  });

  it("accepts http only on loopback", () => {
    const { config } = parse({ notifications: [{ kind: "webhook", url: "http://127.0.0.1:9000/hooks", secret: "${EVENTS_SECRET}" }, { kind: "slack", url: "http://localhost:9001/services/x" }] });
    assert.equal(config.notifications.length, 2);
  });

  it("takes an email destination naming an email provider, fraud only by default, and labels it without whole addresses", () => {
    const { config, warnings } = parse({
      providers: { console: { kind: "console" }, mail: { kind: "console", channels: ["email"] } },
      notifications: [{ kind: "email", provider: "mail", to: ["security@acme.test"], notifyManager: true, name: "SOC" }],
      tenants: [tenant({ notifications: [{ kind: "email", provider: "console", notifyManager: true }] })],
    });
    assert.deepEqual(warnings, []);
    const [top] = config.notifications;
    assert.equal(top?.kind, "email");
    assert.equal(top?.kind === "email" ? top.events : "?", undefined, "left to the default (fraud reports only)");
    assert.equal(destinationLabel(top), 'email "SOC" via mail to s•••@a•••.test, the caller\'s manager');
    assert.equal(destinationLabel(config.tenants[0]!.notifications[0]!), "email via console to the caller's manager");
  });

  it("refuses an email destination without recipients, with a bad address, or whose provider is missing or carries no email", () => {
    const problems = problemsOf({
      providers: { console: { kind: "console" }, texts: { kind: "console", channels: ["sms"] }, phone: { kind: "simulated" } },
      notifications: [
        { kind: "email", provider: "console" },
        { kind: "email", provider: "console", to: ["Security <security@acme.test>"] },
        { kind: "email", provider: "nowhere", to: ["security@acme.test"] },
        { kind: "email", provider: "texts", to: ["security@acme.test"] },
        { kind: "email", provider: "phone", notifyManager: true },
      ],
    });
    const byPath = (path: string) => problems.filter((p) => p.path === path).map((p) => p.message).join(" | ");
    assert.match(byPath("notifications[0].to"), /give `to` \(addresses\), `notifyManager: true`, or both/);
    assert.match(byPath("notifications[1].to[0]"), /one plain email address/);
    assert.match(byPath("notifications[2].provider"), /provider 'nowhere' is not defined under providers/);
    assert.match(byPath("notifications[3].provider"), /provider 'texts' \(console\) does not carry email/);
    assert.match(byPath("notifications[4].provider"), /provider 'phone' \(simulated\) does not carry email/);
  });
});

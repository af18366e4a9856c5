import type { Kysely } from "kysely";
import type { Counter, Histogram, Registry } from "prom-client";
import type { CircuitState } from "../adapters/http/circuit-breaker.js";
import { observeOutbound } from "../adapters/http/outbound.js";
import { observeBreakers, upstreamBreakerStates } from "../adapters/http/upstream-breakers.js";
import type { ChainedAuditEvent } from "../domain/audit-chain.js";
import { ENDING_ACTIONS } from "../domain/audit-actions.js";
import type { Database } from "../store/schema.js";
import type { AuditObserver } from "./audit-service.js";

/**
 * Prometheus metrics (issue 13), served at /metrics when `server.metrics` is configured. Labels
 * carry no person, number, address or code: a method id, an outcome, a service name, a route
 * pattern, a job kind.
 */
export interface Metrics {
  /** Counts verifications started and ended, from the audit events as they commit. */
  readonly observer: AuditObserver;
  /** One answered HTTP request: its route pattern (never the URL), method and status. */
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** How late a push poll ran against its schedule. */
  observePollLag(seconds: number): void;
  /** The text exposition format and its content type. */
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
  close(): void;
}

const ENDINGS: ReadonlySet<string> = new Set(ENDING_ACTIONS);
/** How many ended verifications are remembered so a late second ending event is not counted twice. */
const REMEMBERED_ENDINGS = 10_000;
/** A circuit's state as the gauge shows it; several clients of one service show the worst. */
const BREAKER_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, "half-open": 1, open: 2 };
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Builds the registry. prom-client is loaded here, when metrics are configured, so the CLI and
 * servers without metrics never load it.
 */
export async function createMetrics(deps: { readonly db: Kysely<Database>; readonly version: string }): Promise<Metrics> {
  const prom = await import("prom-client");
  const registry: Registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: "verity_" });
  new prom.Gauge({ name: "verity_build_info", help: "Verity's version (always 1).", labelNames: ["version"], registers: [registry] }).set({ version: deps.version }, 1);

  const started: Counter = new prom.Counter({ name: "verity_verifications_started_total", help: "Verifications started, by method.", labelNames: ["method"], registers: [registry] });
  const ended: Counter = new prom.Counter({
    name: "verity_verifications_completed_total",
    help: "Verifications that reached a final state, by method and outcome (verified, rejected, expired, cancelled, failed…).",
    labelNames: ["method", "outcome"],
    registers: [registry],
  });
  const fraud: Counter = new prom.Counter({ name: "verity_fraud_reports_total", help: "Verifications the caller (or their manager) reported as fraud, by method.", labelNames: ["method"], registers: [registry] });
  const upstream: Histogram = new prom.Histogram({
    name: "verity_upstream_request_duration_seconds",
    help: "Each attempt of a call to an upstream service (directory, SMS, push, ticketing…), by service and status class (none: no answer).",
    labelNames: ["service", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const http: Histogram = new prom.Histogram({
    name: "verity_http_request_duration_seconds",
    help: "Requests Verity answered, by route pattern, method and status class.",
    labelNames: ["route", "method", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const pollLag: Histogram = new prom.Histogram({
    name: "verity_push_poll_lag_seconds",
    help: "How much later than scheduled a waiting push was polled.",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Registered for its collect(): read from the database at each scrape.
  new prom.Gauge({
    name: "verity_job_queue_depth",
    help: "Background jobs not yet done, by kind (read from the database at each scrape, so it counts every instance's).",
    labelNames: ["kind"],
    registers: [registry],
    async collect() {
      const rows = await deps.db.selectFrom("jobs").select(["kind"]).select((eb) => eb.fn.countAll<number>().as("n")).where("state", "=", "pending").groupBy("kind").execute();
      this.reset();
      for (const row of rows) this.set({ kind: row.kind }, Number(row.n));
    },
  });

  // Read from the live outbound clients at each scrape, so an open time that has run out shows as half-open.
  new prom.Gauge({
    name: "verity_upstream_breaker_state",
    help: "Each upstream service's circuit breaker: 0 closed, 1 half-open (one probe call goes through), 2 open (calls fail at once). The worst of the service's clients (one per tenant or configured system).",
    labelNames: ["service"],
    registers: [registry],
    collect() {
      const worst = new Map<string, number>();
      for (const b of upstreamBreakerStates()) worst.set(b.service, Math.max(worst.get(b.service) ?? 0, BREAKER_STATE_VALUE[b.state]));
      this.reset();
      for (const [service, value] of worst) this.set({ service }, value);
    },
  });
  const refused: Counter = new prom.Counter({
    name: "verity_upstream_breaker_refused_total",
    help: "Calls to an upstream service refused at once (nothing sent) because its circuit breaker was open, by service.",
    labelNames: ["service"],
    registers: [registry],
  });
  const opened: Counter = new prom.Counter({
    name: "verity_upstream_breaker_opened_total",
    help: "Times an upstream service's circuit breaker opened after repeated outages (a failed probe reopening it not counted), by service.",
    labelNames: ["service"],
    registers: [registry],
  });

  const seenEndings = new Set<string>();
  const stopOutbound = observeOutbound((o) => upstream.observe({ service: o.service, status: o.status === null ? "none" : `${Math.floor(o.status / 100)}xx` }, o.seconds));
  const stopBreakers = observeBreakers((e) => {
    if (e.kind === "refused") refused.inc({ service: e.service });
    else if (e.state === "open" && e.previous === "closed") opened.inc({ service: e.service });
  });

  const count = (events: readonly ChainedAuditEvent[]) => {
    for (const e of events) {
      const method = e.method ?? "unknown";
      if (e.action === "verification.started") started.inc({ method });
      if ((e.reason === "fraud" || e.action === "push.fraud_reported") && ENDINGS.has(e.action)) fraud.inc({ method });
      if (!ENDINGS.has(e.action) || e.verificationId === null || seenEndings.has(e.verificationId)) continue;
      seenEndings.add(e.verificationId);
      if (seenEndings.size > REMEMBERED_ENDINGS) seenEndings.delete(seenEndings.values().next().value ?? "");
      ended.inc({ method, outcome: e.outcome ?? "unknown" });
    }
  };

  return {
    observer: { inTransaction: () => Promise.resolve(), afterCommit: count },
    observeHttp(route, method, status, seconds) {
      http.observe({ route, method, status: `${Math.floor(status / 100)}xx` }, seconds);
    },
    observePollLag(seconds) {
      pollLag.observe(Math.max(0, seconds));
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    close() {
      stopOutbound();
      stopBreakers();
      registry.clear();
    },
  };
}

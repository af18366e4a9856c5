import type { CircuitState } from "./circuit-breaker.js";

/**
 * What /metrics and the logs learn of the outbound clients' circuit breakers: the service's
 * name and the circuit's state, never a URL, a tenant's secret or a person.
 */
export type BreakerEvent =
  /** A call refused at once because the service's circuit is open. */
  | { readonly kind: "refused"; readonly service: string }
  | { readonly kind: "changed"; readonly service: string; readonly state: CircuitState; readonly previous: CircuitState };

/** One live outbound client's breaker, as the registry holds it. */
export interface BreakerEntry {
  readonly service: string;
  readonly state: CircuitState;
}

const live = new Set<BreakerEntry>();
const listeners = new Set<(event: BreakerEvent) => void>();

/** Adds a client's breaker to what {@link upstreamBreakerStates} reports; returns its removal (on close). */
export function registerBreaker(entry: BreakerEntry): () => void {
  live.add(entry);
  return () => live.delete(entry);
}

/** Every live client's breaker now (several clients may share a service's name: one per tenant). */
export function upstreamBreakerStates(): readonly { readonly service: string; readonly state: CircuitState }[] {
  return [...live].map((entry) => ({ service: entry.service, state: entry.state }));
}

/**
 * Sees every breaker change and refusal in this process (for /metrics). Returns the function that
 * stops it. A listener that throws is ignored.
 */
export function observeBreakers(listener: (event: BreakerEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function tellBreakerListeners(event: BreakerEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // Metrics never break a call.
    }
  }
}

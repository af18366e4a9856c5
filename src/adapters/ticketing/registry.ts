import { z } from "zod";
import { autotaskAdapter } from "./autotask/autotask-adapter.js";
import { connectwiseAdapter } from "./connectwise/connectwise-adapter.js";
import { freshserviceAdapter } from "./freshservice/freshservice-adapter.js";
import { haloAdapter } from "./halopsa/halopsa-adapter.js";
import { jsmAdapter } from "./jira/jira-adapter.js";
import { snowAdapter } from "./servicenow/servicenow-adapter.js";
import type { TicketingAdapter } from "./ticketing-adapter.js";
import { zendeskAdapter } from "./zendesk/zendesk-adapter.js";

/**
 * Every ticketing product Verity speaks, by configuration `kind`. The only list of them: the
 * configuration schema and the composition root read it from here.
 */
export const TICKETING_ADAPTERS = [
  haloAdapter,
  connectwiseAdapter,
  autotaskAdapter,
  snowAdapter,
  freshserviceAdapter,
  zendeskAdapter,
  jsmAdapter,
] as const;

type SchemaOf<A> = A extends TicketingAdapter<infer S> ? S : never;
type SchemasOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: SchemaOf<T[K]> };

/** A `ticketing.<name>` block: one of the adapters' schemas, chosen by `kind`. */
export const ticketingConfigSchema = z.discriminatedUnion("kind", TICKETING_ADAPTERS.map((a) => a.configSchema) as unknown as SchemasOf<typeof TICKETING_ADAPTERS>);

export type TicketingConfig = z.output<typeof ticketingConfigSchema>;

/** The adapter for a configuration block's kind. */
export function ticketingAdapterFor(kind: string): TicketingAdapter | undefined {
  return (TICKETING_ADAPTERS as readonly TicketingAdapter[]).find((a) => a.kind === kind);
}

import type { Logger } from "pino";
import type { z } from "zod";
import type { Clock, TicketingSystem, TicketTrigger } from "../../domain/ports.js";

/**
 * One ticketing product (HaloPSA, ConnectWise PSA, Autotask, ServiceNow, Freshservice, Zendesk,
 * Jira Service Management), as Verity plugs it in. Each lives in one folder beside this file: its
 * configuration schema, its API client, its TicketingSystem and its trigger. Adding a product is
 * that folder, a line in registry.ts, its fake and its docs page; the engine never changes.
 *
 * @example
 * ```ts
 * export const zendeskAdapter = defineTicketingAdapter({
 *   kind: "zendesk",
 *   vendor: "Zendesk",
 *   configSchema: zendeskConfigSchema,
 *   async create(name, config, deps) {
 *     const { createZendeskClient } = await import("./zendesk-client.js");
 *     return { system: …, trigger: …, close: … };
 *   },
 * });
 * ```
 */
export interface TicketingAdapter<Schema extends z.ZodType = z.ZodType> {
  /** The `kind:` under `ticketing.<name>` in the configuration. */
  readonly kind: string;
  /** The product, as people call it. */
  readonly vendor: string;
  /** The configuration block, a strict object whose `kind` is the literal above. */
  readonly configSchema: Schema;
  /**
   * Builds the configured system. The client, system and trigger are loaded here (`import()`),
   * not with the registry, which the configuration schema reads: a command pays only for the
   * products its configuration names.
   */
  create(name: string, config: z.output<Schema>, deps: TicketingAdapterDeps): Promise<BuiltTicketing>;
}

export interface TicketingAdapterDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The other configured systems of the same kind (HaloPSA keeps `/hooks/halopsa` when it is alone). */
  readonly sameKind: number;
}

export interface BuiltTicketing {
  readonly system: TicketingSystem;
  /** How the system asks Verity to verify a ticket's caller; null when it cannot (notes only). */
  readonly trigger: TicketTrigger | null;
  /** Lets go of connections and timers at shutdown. */
  close(): Promise<void>;
}

/** Keeps an adapter's config type tied to its schema (a typed identity function). */
export function defineTicketingAdapter<Schema extends z.ZodType>(adapter: TicketingAdapter<Schema>): TicketingAdapter<Schema> {
  return adapter;
}

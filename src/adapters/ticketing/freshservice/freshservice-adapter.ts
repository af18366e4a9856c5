import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { freshserviceConfigSchema } from "./freshservice-config.js";

/** Freshservice (docs/integrations/freshservice.md). */
export const freshserviceAdapter = defineTicketingAdapter({
  kind: "freshservice",
  vendor: "Freshservice",
  configSchema: freshserviceConfigSchema,
  async create(name, config, deps) {
    const [{ createFreshserviceClient }, { createFreshserviceTicketing }, { createFreshserviceTrigger }] = await Promise.all([import("./freshservice-client.js"), import("./freshservice-ticketing.js"), import("./freshservice-trigger.js")]);
    const client = createFreshserviceClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    return {
      system: createFreshserviceTicketing(name, client),
      trigger: createFreshserviceTrigger(config.webhook, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

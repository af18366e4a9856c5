import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { createFreshserviceClient } from "./freshservice-client.js";
import { freshserviceConfigSchema } from "./freshservice-config.js";
import { createFreshserviceTicketing } from "./freshservice-ticketing.js";
import { createFreshserviceTrigger } from "./freshservice-trigger.js";

/** Freshservice (docs/integrations/freshservice.md). */
export const freshserviceAdapter = defineTicketingAdapter({
  kind: "freshservice",
  vendor: "Freshservice",
  configSchema: freshserviceConfigSchema,
  create(name, config, deps) {
    const client = createFreshserviceClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    return {
      system: createFreshserviceTicketing(name, client),
      trigger: createFreshserviceTrigger(config.webhook, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

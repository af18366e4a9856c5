import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { createSnowClient } from "./servicenow-client.js";
import { snowConfigSchema } from "./servicenow-config.js";
import { createSnowTicketing } from "./servicenow-ticketing.js";
import { createSnowTrigger } from "./servicenow-trigger.js";

/** ServiceNow (docs/integrations/servicenow.md). */
export const snowAdapter = defineTicketingAdapter({
  kind: "servicenow",
  vendor: "ServiceNow",
  configSchema: snowConfigSchema,
  create(name, config, deps) {
    const client = createSnowClient(config, { clock: deps.clock, log: deps.log });
    return {
      system: createSnowTicketing(name, client, config.tables),
      trigger: createSnowTrigger(config.webhook, config.tables, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

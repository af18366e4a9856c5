import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { snowConfigSchema } from "./servicenow-config.js";

/** ServiceNow (docs/integrations/servicenow.md). */
export const snowAdapter = defineTicketingAdapter({
  kind: "servicenow",
  vendor: "ServiceNow",
  configSchema: snowConfigSchema,
  async create(name, config, deps) {
    const [{ createSnowClient }, { createSnowTicketing }, { createSnowTrigger }] = await Promise.all([import("./servicenow-client.js"), import("./servicenow-ticketing.js"), import("./servicenow-trigger.js")]);
    const client = createSnowClient(config, { clock: deps.clock, log: deps.log });
    return {
      system: createSnowTicketing(name, client, config.tables),
      trigger: createSnowTrigger(config.webhook, config.tables, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

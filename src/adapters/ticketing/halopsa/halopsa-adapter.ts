import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { haloConfigSchema } from "./halopsa-config.js";

/** HaloPSA (docs/integrations/halopsa.md). */
export const haloAdapter = defineTicketingAdapter({
  kind: "halopsa",
  vendor: "HaloPSA",
  configSchema: haloConfigSchema,
  async create(name, config, deps) {
    const [{ createHaloClient }, { createHaloTicketing }, { createHaloTrigger }] = await Promise.all([import("./halopsa-client.js"), import("./halopsa-ticketing.js"), import("./halopsa-trigger.js")]);
    const client = createHaloClient(config, { clock: deps.clock, log: deps.log });
    return {
      system: createHaloTicketing(name, client),
      trigger: createHaloTrigger(name, config.webhook, { only: deps.sameKind === 1, log: deps.log }),
      close: () => client.close(),
    };
  },
});

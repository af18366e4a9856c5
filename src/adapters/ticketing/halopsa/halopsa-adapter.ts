import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { createHaloClient } from "./halopsa-client.js";
import { haloConfigSchema } from "./halopsa-config.js";
import { createHaloTicketing } from "./halopsa-ticketing.js";
import { createHaloTrigger } from "./halopsa-trigger.js";

/** HaloPSA (docs/integrations/halopsa.md). */
export const haloAdapter = defineTicketingAdapter({
  kind: "halopsa",
  vendor: "HaloPSA",
  configSchema: haloConfigSchema,
  create(name, config, deps) {
    const client = createHaloClient(config, { clock: deps.clock, log: deps.log });
    return {
      system: createHaloTicketing(name, client),
      trigger: createHaloTrigger(name, config.webhook, { only: deps.sameKind === 1, log: deps.log }),
      close: () => client.close(),
    };
  },
});

import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { createAutotaskClient } from "./autotask-client.js";
import { autotaskConfigSchema } from "./autotask-config.js";
import { createAutotaskTicketing } from "./autotask-ticketing.js";
import { createAutotaskTrigger } from "./autotask-trigger.js";

/** Autotask PSA (docs/integrations/autotask.md). */
export const autotaskAdapter = defineTicketingAdapter({
  kind: "autotask",
  vendor: "Autotask",
  configSchema: autotaskConfigSchema,
  create(name, config, deps) {
    const client = createAutotaskClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    if (config.triggerField === undefined) {
      deps.log.warn({ system: name }, "Autotask: no triggerField/triggerValue set, so every ticket create or update the webhook reports starts a verification");
    }
    return {
      system: createAutotaskTicketing(name, client),
      trigger: createAutotaskTrigger(config, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

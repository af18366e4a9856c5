import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { autotaskConfigSchema } from "./autotask-config.js";

/** Autotask PSA (docs/integrations/autotask.md). */
export const autotaskAdapter = defineTicketingAdapter({
  kind: "autotask",
  vendor: "Autotask",
  configSchema: autotaskConfigSchema,
  async create(name, config, deps) {
    const [{ createAutotaskClient }, { createAutotaskTicketing }, { createAutotaskTrigger }] = await Promise.all([import("./autotask-client.js"), import("./autotask-ticketing.js"), import("./autotask-trigger.js")]);
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

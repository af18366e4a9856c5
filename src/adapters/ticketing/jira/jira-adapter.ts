import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { JSM_KIND, jsmConfigSchema } from "./jira-config.js";

/** Jira Service Management Cloud (docs/integrations/jira-service-management.md). */
export const jsmAdapter = defineTicketingAdapter({
  kind: JSM_KIND,
  vendor: "Jira Service Management",
  configSchema: jsmConfigSchema,
  async create(name, config, deps) {
    const [{ createJsmClient }, { createJsmTicketing }, { createJsmTrigger }] = await Promise.all([import("./jira-client.js"), import("./jira-ticketing.js"), import("./jira-trigger.js")]);
    const client = createJsmClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    return {
      system: createJsmTicketing(name, client),
      trigger: createJsmTrigger(config.webhook, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

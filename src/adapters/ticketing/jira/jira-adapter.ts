import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { createJsmClient } from "./jira-client.js";
import { JSM_KIND, jsmConfigSchema } from "./jira-config.js";
import { createJsmTicketing } from "./jira-ticketing.js";
import { createJsmTrigger } from "./jira-trigger.js";

/** Jira Service Management Cloud (docs/integrations/jira-service-management.md). */
export const jsmAdapter = defineTicketingAdapter({
  kind: JSM_KIND,
  vendor: "Jira Service Management",
  configSchema: jsmConfigSchema,
  create(name, config, deps) {
    const client = createJsmClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    return {
      system: createJsmTicketing(name, client),
      trigger: createJsmTrigger(config.webhook, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

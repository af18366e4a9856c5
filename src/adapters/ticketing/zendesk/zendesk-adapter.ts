import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { createZendeskClient } from "./zendesk-client.js";
import { zendeskConfigSchema } from "./zendesk-config.js";
import { createZendeskTicketing } from "./zendesk-ticketing.js";
import { createZendeskTrigger } from "./zendesk-trigger.js";

/** Zendesk Support (docs/integrations/zendesk.md). */
export const zendeskAdapter = defineTicketingAdapter({
  kind: "zendesk",
  vendor: "Zendesk",
  configSchema: zendeskConfigSchema,
  create(name, config, deps) {
    const client = createZendeskClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    return {
      system: createZendeskTicketing(name, client),
      trigger: createZendeskTrigger(config.webhook, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

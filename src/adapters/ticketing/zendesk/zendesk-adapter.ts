import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { zendeskConfigSchema } from "./zendesk-config.js";

/** Zendesk Support (docs/integrations/zendesk.md). */
export const zendeskAdapter = defineTicketingAdapter({
  kind: "zendesk",
  vendor: "Zendesk",
  configSchema: zendeskConfigSchema,
  async create(name, config, deps) {
    const [{ createZendeskClient }, { createZendeskTicketing }, { createZendeskTrigger }] = await Promise.all([import("./zendesk-client.js"), import("./zendesk-ticketing.js"), import("./zendesk-trigger.js")]);
    const client = createZendeskClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    return {
      system: createZendeskTicketing(name, client),
      trigger: createZendeskTrigger(config.webhook, { log: deps.log }),
      close: () => client.close(),
    };
  },
});

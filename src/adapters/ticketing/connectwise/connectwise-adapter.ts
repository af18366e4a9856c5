import { defineTicketingAdapter } from "../ticketing-adapter.js";
import { connectwiseConfigSchema } from "./connectwise-config.js";

/** ConnectWise PSA, formerly Manage (docs/integrations/connectwise.md). */
export const connectwiseAdapter = defineTicketingAdapter({
  kind: "connectwise",
  vendor: "ConnectWise PSA",
  configSchema: connectwiseConfigSchema,
  async create(name, config, deps) {
    const [{ createOutboundClient }, { createCallbackKeySource }, { createConnectWiseClient }, { createConnectWiseTicketing }, { createConnectWiseTrigger }] = await Promise.all([import("../../http/outbound.js"), import("./connectwise-callback-key.js"), import("./connectwise-client.js"), import("./connectwise-ticketing.js"), import("./connectwise-trigger.js")]);
    const client = createConnectWiseClient(config, { log: deps.log, now: () => deps.clock.now().getTime() });
    // ConnectWise gives a callback 5 s: the signing key must come back well within that.
    const keyHttp = createOutboundClient({ name: "ConnectWise callback key", timeoutMs: 2000, connectTimeoutMs: 1000, maxRetries: 1, log: deps.log, now: () => deps.clock.now().getTime() });
    const keys = createCallbackKeySource({ http: keyHttp, clock: deps.clock, log: deps.log, cacheSeconds: config.callback.keyCacheSeconds });
    return {
      system: createConnectWiseTicketing(name, client),
      trigger: createConnectWiseTrigger(config.callback, {
        keys,
        companyId: config.companyId,
        ticketStatus: async (id) => {
          const ticket = await client.getTicket(id);
          return { id: ticket.statusId, name: ticket.statusName };
        },
        log: deps.log,
        ...(config.workflow === undefined ? {} : { workflow: config.workflow }),
      }),
      close: async () => {
        await Promise.all([client.close(), keyHttp.close()]);
      },
    };
  },
});

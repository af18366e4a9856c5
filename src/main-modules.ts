import type { AnchorSinkConfig } from "./adapters/anchor/anchor-config.js";
import type { NotificationDestinationConfig } from "./adapters/notify/notify-config.js";
import type { ProviderConfig, TenantConfig } from "./config/schema.js";

/**
 * Each adapter's module by the configuration `kind` that names it, for the composition root
 * (main.ts, main-adapters.ts). Only the kinds a configuration names are loaded (issue 13: a CLI
 * run with Twilio and Entra does not load Okta, Duo, VIP, the mailers or their libraries); a
 * module is loaded once however many blocks use it. `satisfies` keeps each map complete: a new
 * kind in the schema does not compile until its module is named here.
 */
export const PROVIDER_MODULES = {
  console: () => import("./adapters/channel/console/console-channel.js"),
  simulated: () => import("./adapters/push/simulated/simulated-push.js"),
  twilio: () => import("./adapters/channel/twilio-sms/twilio-sms-channel.js"),
  smtp: () => import("./adapters/channel/smtp/smtp-email-channel.js"),
  "graph-mail": () => import("./adapters/channel/graph-mail/graph-mail-channel.js"),
  vip: () => import("./adapters/push/vip/vip-push-provider.js"),
  duo: () => import("./adapters/push/duo/duo-push-provider.js"),
  okta: () => import("./adapters/push/okta/okta-push-provider.js"),
  entra: () => import("./adapters/push/entra-mfa/entra-mfa-push.js"),
  "entra-signin": () => import("./adapters/signin/signin-client.js"),
  "okta-signin": () => import("./adapters/signin/signin-client.js"),
  "simulated-signin": () => import("./adapters/signin/signin-client.js"),
  "verified-id": () => import("./adapters/verified-id/verified-id-service.js"),
} satisfies Record<ProviderConfig["kind"], () => Promise<unknown>>;

export const DIRECTORY_MODULES = {
  file: () => import("./adapters/directory/file/file-directory.js"),
  entra: () => import("./adapters/directory/entra/entra-directory.js"),
  okta: () => import("./adapters/directory/okta/okta-directory.js"),
} satisfies Record<TenantConfig["directory"]["kind"], () => Promise<unknown>>;

export const NOTIFIER_MODULES = {
  email: () => import("./adapters/notify/email/email-notifier.js"),
  webhook: () => import("./adapters/notify/webhook/webhook-notifier.js"),
  teams: () => import("./adapters/notify/teams/teams-notifier.js"),
  slack: () => import("./adapters/notify/slack/slack-notifier.js"),
} satisfies Record<NotificationDestinationConfig["kind"], () => Promise<unknown>>;

/** Loads, in parallel, the modules of the kinds named (before the sequential build uses them). */
export async function preload<K extends string>(modules: Record<K, () => Promise<unknown>>, kinds: Iterable<K>): Promise<void> {
  await Promise.all([...new Set(kinds)].map((kind) => modules[kind]()));
}

export const ANCHOR_SINK_MODULES = {
  file: () => import("./adapters/anchor/file/file-anchor-sink.js"),
  syslog: () => import("./adapters/anchor/syslog/syslog-anchor-sink.js"),
  webhook: () => import("./adapters/anchor/webhook/webhook-anchor-sink.js"),
} satisfies Record<AnchorSinkConfig["kind"], () => Promise<unknown>>;

/** The OpenID Connect client of web.sso (and openid-client behind it), only when single sign-on is configured. */
export const SSO_MODULE = () => import("./adapters/sso/sso-client.js");

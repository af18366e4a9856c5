import type Provider from "oidc-provider";
import { buildProvider, createSigningKey, listenIdp, type LocalAccount, type LocalClient, type Mount } from "./local-idp.js";

const MICROSOFT = "https://login.microsoftonline.com";

export interface LocalEntra {
  /** What Verity's `loginUrl` points at, in place of https://login.microsoftonline.com. */
  readonly url: string;
  /** The tenant whose people sign in through /organizations next (the account's home tenant). */
  homeTenant: string;
  start(clients: readonly LocalClient[]): void;
  close(): Promise<void>;
}

/**
 * The Microsoft identity platform's sign-in contract, played by one oidc-provider per tenant:
 * `/{tid}/v2.0` issues tokens whose `iss` is https://login.microsoftonline.com/{tid}/v2.0 and whose
 * `tid` is that tenant (unless an account's claims say otherwise, for the forged-tenant cases);
 * `/organizations/v2.0` publishes the `{tenantid}` issuer template and signs in through the home
 * tenant's provider. As Entra does, no `iss` comes back on the authorization response (no RFC
 * 9207), and every tenant signs with the same keys.
 */
export async function startLocalEntra(options: { tenants: Record<string, Record<string, LocalAccount>>; homeTenant: string }): Promise<LocalEntra> {
  const signing = createSigningKey();
  const accounts = new Map(Object.entries(options.tenants).map(([tid, people]) => [tid, new Map(Object.entries(people).map(([id, a]) => [id, { ...a, claims: { tid, ...a.claims } }]))]));
  const providers = new Map<string, Provider>();
  const target = (tid: string) => {
    const provider = providers.get(tid);
    const people = accounts.get(tid);
    return provider === undefined || people === undefined ? undefined : { provider, accounts: people };
  };
  const mounts = (): Mount[] => [
    ...[...accounts.keys()].map((tid) => ({ prefix: `/${tid}/v2.0`, target: () => target(tid) })),
    { prefix: "/organizations/v2.0", target: () => target(fake.homeTenant) },
  ];
  const server = await listenIdp(mounts);
  const fake: LocalEntra = {
    url: server.url,
    homeTenant: options.homeTenant,
    start(clients) {
      for (const [tid, people] of accounts) {
        const provider = buildProvider(`${MICROSOFT}/${tid}/v2.0`, { accounts: people, clients, signing, tamper: () => undefined });
        provider.use(async (ctx, next) => {
          await next();
          if (ctx.oidc?.route !== "discovery") return;
          const body = ctx.body as Record<string, unknown>;
          delete body.authorization_response_iss_parameter_supported;
          if (ctx.req.originalUrl?.startsWith("/organizations/") === true) body.issuer = `${MICROSOFT}/{tenantid}/v2.0`;
        });
        provider.on("authorization.success", (_ctx, out) => {
          delete out.iss;
        });
        providers.set(tid, provider);
      }
    },
    close: () => server.close(),
  };
  return fake;
}

import type Provider from "oidc-provider";
import { buildProvider, createSigningKey, listenIdp, type LocalAccount, type LocalClient, type Tamper } from "./local-idp.js";

export interface LocalOidc {
  /** The issuer (its discovery is at <url>/.well-known/openid-configuration). */
  readonly url: string;
  /** Registers the relying party once its redirect URIs are known; until then every path is 404. */
  start(clients: readonly LocalClient[]): void;
  /** Alters the ID tokens the token endpoint issues from now on; undefined to stop. */
  tamper: Tamper | undefined;
  close(): Promise<void>;
}

/** A standard OpenID provider (Okta- or Google-like) on 127.0.0.1, issuer = its own URL. */
export async function startLocalOidc(options: { accounts: Record<string, LocalAccount>; idTokenTtl?: number }): Promise<LocalOidc> {
  const accounts = new Map(Object.entries(options.accounts));
  const signing = createSigningKey();
  let provider: Provider | undefined;
  const server = await listenIdp(() => [{ prefix: "", target: () => (provider === undefined ? undefined : { provider, accounts }) }]);
  const fake: LocalOidc = {
    url: server.url,
    tamper: undefined,
    start(clients) {
      provider = buildProvider(server.url, { accounts, clients, signing, tamper: () => fake.tamper, ...(options.idTokenTtl === undefined ? {} : { idTokenTtl: options.idTokenTtl }) });
    },
    close: () => server.close(),
  };
  return fake;
}

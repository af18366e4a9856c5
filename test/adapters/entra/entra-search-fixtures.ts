import { pino } from "pino";
import { entraDirectoryConfigSchema } from "../../../src/adapters/directory/entra/entra-config.js";
import { createEntraDirectory, type EntraDirectory, type EntraDirectoryDeps } from "../../../src/adapters/directory/entra/entra-directory.js";
import { startFakeEntra, type FakeEntra, type FakeRequest } from "../../fakes/entra/fake-entra.js";
import { createFakeClock } from "../../helpers/clock.js";
import { ALL_PERMISSIONS, APP_ID, CONTOSO, FABRIKAM, NARROW_APP_ID, SECRET, SECRET_ID } from "./entra-fixtures.js";

export { APP_ID, CONTOSO, FABRIKAM, NARROW_APP_ID, SECRET };

/** Object ids of the people a technician searches for. */
export const PEOPLE = {
  jane: "a1111111-1111-4111-8111-111111111111",
  john: "a2222222-2222-4222-8222-222222222222",
  joanna: "a3333333-3333-4333-8333-333333333333",
  jordan: "a4444444-4444-4444-8444-444444444444",
  alex: "a5555555-5555-4555-8555-555555555555",
  sam: "a6666666-6666-4666-8666-666666666666",
  obrien: "a7777777-7777-4777-8777-777777777777",
  bobby: "a8888888-8888-4888-8888-888888888888",
  oscar: "a9999999-9999-4999-8999-999999999999",
  fabi: "b1111111-1111-4111-8111-111111111111",
};

/** Users whose names, mails, UPNs and account names each exercise one way search matches. */
const CONTOSO_USERS = [
  {
    id: PEOPLE.jane,
    userPrincipalName: "jane.doe@contoso.example",
    displayName: "Jane Doe",
    mail: "jane.doe@contoso.example",
    onPremisesSamAccountName: "JDoe",
    phones: [{ type: "mobile", number: "+1 4255550101" }],
    emails: ["jane.private@example.net"],
    roles: ["62e90394-69f5-4237-9190-012177145e10"],
  },
  { id: PEOPLE.john, userPrincipalName: "jsmith@contoso.example", displayName: "John Smith", mail: "john.smith@contoso.example", onPremisesSamAccountName: "jsmith" },
  { id: PEOPLE.joanna, userPrincipalName: "joanna@contoso.example", displayName: "Joanna Jones", onPremisesSamAccountName: "joanna" },
  { id: PEOPLE.jordan, userPrincipalName: "jordan.lee@contoso.example", displayName: "Jordan Lee" },
  // Mail and UPN differ, so each can be shown to match on its own.
  { id: PEOPLE.alex, userPrincipalName: "a.kim@contoso.onmicrosoft.example", displayName: "Alex Kim", mail: "alex.kim@contoso.example" },
  // "jo" is her account name, nothing else about her starts with it.
  { id: PEOPLE.sam, userPrincipalName: "sam.admin@contoso.example", displayName: "Sam Admin", onPremisesSamAccountName: "jo" },
  { id: PEOPLE.obrien, userPrincipalName: "o'brien@contoso.example", displayName: "Pat O'Brien", onPremisesSamAccountName: "o'brien" },
  { id: PEOPLE.bobby, userPrincipalName: "bobby@contoso.example", displayName: 'Robert "Bobby" Tables' },
  { id: PEOPLE.oscar, userPrincipalName: "oscar@contoso.example", displayName: "Oscar Ward" },
];

export interface SearchHarness {
  readonly fake: FakeEntra;
  /** A directory; `tenantId` pinned to Contoso unless overridden (`tenantId: undefined` for a catch-all). */
  directory(overrides?: Record<string, unknown>, deps?: Partial<EntraDirectoryDeps>): EntraDirectory;
  /** The /users requests since the last reset, with what each asked. */
  userQueries(): FakeRequest[];
  /** An app-only Graph token for `tenant`, for talking to the fake directly. */
  token(tenant: string): Promise<string>;
  close(): Promise<void>;
}

export async function startSearchHarness(): Promise<SearchHarness> {
  const clock = createFakeClock();
  const fake = await startFakeEntra({
    clock,
    tenants: [
      { id: CONTOSO, displayName: "Contoso", domains: ["contoso.example", "contoso.onmicrosoft.example"], users: CONTOSO_USERS },
      { id: FABRIKAM, displayName: "Fabrikam", domains: ["fabrikam.example"], users: [{ id: PEOPLE.fabi, userPrincipalName: "fabi@fabrikam.example", displayName: "Fabi Jordan" }] },
    ],
    apps: [
      { clientId: APP_ID, secrets: [{ id: SECRET_ID, value: SECRET }], consents: { [CONTOSO]: ALL_PERMISSIONS, [FABRIKAM]: ALL_PERMISSIONS } },
      { clientId: NARROW_APP_ID, secrets: [{ id: SECRET_ID, value: SECRET }], consents: { [CONTOSO]: ["User.Read.All"], [FABRIKAM]: ["UserAuthenticationMethod.Read.All"] } },
    ],
  });
  const opened: EntraDirectory[] = [];
  return {
    fake,
    directory(overrides = {}, deps = {}) {
      const config = entraDirectoryConfigSchema.parse({
        kind: "entra",
        clientId: APP_ID,
        credential: { kind: "secret", secret: SECRET },
        loginUrl: fake.loginUrl,
        graphUrl: fake.graphUrl,
        timeoutMs: 2000,
        tenantId: CONTOSO,
        ...overrides,
      });
      const directory = createEntraDirectory(config, { clock, log: pino({ level: "silent" }), ...deps });
      opened.push(directory);
      return directory;
    },
    userQueries: () => fake.requests.filter((r) => r.path === "/graph/v1.0/users"),
    async token(tenant) {
      const form = new URLSearchParams({ client_id: APP_ID, client_secret: SECRET, scope: `${fake.graphUrl}/.default`, grant_type: "client_credentials" });
      const answer = await fetch(`${fake.loginUrl}/${tenant}/oauth2/v2.0/token`, { method: "POST", body: form });
      return ((await answer.json()) as { access_token: string }).access_token;
    },
    async close() {
      await Promise.all(opened.map((d) => d.close()));
      await fake.close();
    },
  };
}

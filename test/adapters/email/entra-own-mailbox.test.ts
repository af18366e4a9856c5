import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { entraDirectoryConfigSchema } from "../../../src/adapters/directory/entra/entra-config.js";
import { createEntraDirectory } from "../../../src/adapters/directory/entra/entra-directory.js";
import { isOwnMailbox } from "../../../src/services/targets.js";
import { startFakeEntra } from "../../fakes/entra/fake-entra.js";
import { createFakeClock } from "../../helpers/clock.js";

const TENANT = "3b1f5e0a-8d2c-4c6e-9a7b-0f1e2d3c4b5a";
const APP = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
const SECRET = "entra-own-mailbox-Secret";
const PERMISSIONS = ["User.Read.All", "UserAuthenticationMethod.Read.All", "RoleManagement.Read.Directory", "AuditLog.Read.All", "Organization.Read.All"];

describe("Entra: the mailbox's aliases count as the account's own mailbox", () => {
  it("reads proxyAddresses' smtp: entries, so an alias registered as a security email is never a target", async () => {
    const clock = createFakeClock();
    const fake = await startFakeEntra({
      clock,
      tenants: [
        {
          id: TENANT,
          domains: ["contoso.example"],
          users: [
            {
              id: "44444444-4444-4444-8444-444444444444",
              userPrincipalName: "olive@contoso.example",
              mail: "olive.owner@contoso.example",
              proxyAddresses: ["SMTP:olive.owner@contoso.example", "smtp:o.owner@contoso-legacy.example", "X500:/o=ExchangeLabs/cn=olive", "SIP:olive@contoso.example"],
              emails: ["O.Owner@contoso-legacy.example", "olive.home@example.net"],
            },
          ],
        },
      ],
      apps: [{ clientId: APP, secrets: [{ id: "s", value: SECRET }], consents: { [TENANT]: PERMISSIONS } }],
    });
    const directory = createEntraDirectory(
      entraDirectoryConfigSchema.parse({ kind: "entra", tenantId: TENANT, clientId: APP, credential: { kind: "secret", secret: SECRET }, loginUrl: fake.loginUrl, graphUrl: fake.graphUrl, timeoutMs: 2000 }),
      { clock, log: pino({ level: "silent" }) },
    );
    try {
      const user = await directory.findUser("olive@contoso.example");
      assert.ok(user !== null);
      assert.deepEqual(user.mailboxAddresses, ["olive.owner@contoso.example", "o.owner@contoso-legacy.example"]);
      assert.deepEqual(
        user.emails.map((e) => isOwnMailbox(user, e)),
        [true, false],
      );
    } finally {
      await directory.close();
      await fake.close();
    }
  });
});

// `npm run demo:vendors`: Verity against local fakes of Symantec VIP (mutual TLS), Duo, Okta and
// the Entra MFA connector, speaking each vendor's real protocol, with no accounts. Each fake phone
// approves a push four seconds after it arrives (Okta's picks the right number).
import { loadConfigFile } from "../../src/config/load.js";
import { createRuntime } from "../../src/main.js";
import { JANE, startPushWorld } from "../e2e/push-providers.js";
import { buildApp } from "../../src/http/build-app.js";

const port = Number(process.env.PORT ?? 8788);
const world = await startPushWorld();
world.vip.setCaller(JANE.sam, { answer: "approve", afterMs: 4000 });
world.duo.setCaller(JANE.duo, { action: "approve", afterMs: 4000 });
world.okta.setCaller(JANE.upn, { action: "approve", afterMs: 4000 });
world.entra.setCaller(JANE.upn, { action: "approve", afterMs: 4000 });

const runtime = await createRuntime(loadConfigFile(world.configPath, process.env));
const server = await buildApp(runtime);
await server.listen({ host: "127.0.0.1", port });
await runtime.startBackground();
const { token } = await runtime.tokens.create({ name: "Vendor Demo", role: "technician", tenants: null }, { id: "cli:demo", name: "demo", role: "admin", tenants: null });
const base = `http://127.0.0.1:${port}`;

console.log(`
============================ Verity DEMO · vendor protocols ============================
Local fakes of Symantec VIP (SOAP over mutual TLS), Duo (signed Auth API), Okta (Factors API)
and the Entra MFA connector stand in for the vendors. Nothing leaves this machine. Each fake
phone approves four seconds after a push arrives.

  API        ${base}/api/openapi.json
  API token  ${token}

Try, from another terminal in this folder:
  export VERITY_SERVER=${base} VERITY_TOKEN=${token}
  npm run -s verity -- verify -u ${JANE.upn} -m "Please verify your identity by approving this request." -t "YourCompany Service Desk" --method vip-push
  npm run -s verity -- verify -u ${JANE.upn} --method duo-push
  npm run -s verity -- verify -u ${JANE.upn} --method okta-push        (prints the number to read out)
  npm run -s verity -- verify -u ${JANE.upn} --method entra-push
  npm run -s verity -- verify -u ${JANE.upn} --method okta-passcode    (the code is ${JANE.oktaTotp})
Press Ctrl+C to stop.
=========================================================================================`);

const stop = () => {
  void server
    .close()
    .then(() => runtime.close())
    .then(() => world.close())
    .then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

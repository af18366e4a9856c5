// Appends audit events from a separate process: `node audit-writer-child.js <database-url> <count> <label>`.
import { createAuditWriter } from "../../src/services/audit-service.js";
import { openDatabase } from "../../src/store/connect.js";
import { systemClock } from "../../src/domain/ports.js";

const [url, countText, label] = process.argv.slice(2);
const handle = openDatabase(url ?? "");
const writer = createAuditWriter({ db: handle.db, clock: systemClock });
for (let i = 0; i < Number(countText); i += 1) {
  await writer.append([
    { actor: label ?? "child", action: "test.event", subjectId: "u-9", tenantId: "acme", data: { i } },
    { actor: label ?? "child", action: "test.event2", subjectId: "u-9", tenantId: "acme" },
  ]);
}
await handle.close();

// `npm run soak`: 200 verifications at once for 10 minutes against `verity serve`, 5 % of
// upstream calls failing (SOAK_SECONDS, SOAK_CONCURRENCY, SOAK_FAULT_RATE override; SOAK_POSTGRES=1
// runs it on a throwaway PostgreSQL). Exits 1 unless nothing was lost, sent twice or left open and
// the audit chain verifies.
import { testPostgres } from "../test/helpers/postgres.js";
import { runSoak } from "./soak-run.js";

const postgres = process.env.SOAK_POSTGRES === "1" ? await testPostgres() : undefined;
if (postgres !== undefined && "skip" in postgres) throw new Error(`SOAK_POSTGRES=1 but no PostgreSQL: ${postgres.skip}`);
const report = await runSoak({
  seconds: Number(process.env.SOAK_SECONDS ?? 600),
  concurrency: Number(process.env.SOAK_CONCURRENCY ?? 200),
  faultRate: Number(process.env.SOAK_FAULT_RATE ?? 0.05),
  ...(postgres === undefined ? {} : { databaseUrl: await postgres.createDatabase() }),
});
console.log(JSON.stringify(report, null, 2));
const ok = report.lostEvents === 0 && report.duplicateMessages === 0 && report.stuck === 0 && report.chainVerified && report.verified > 0;
console.log(ok ? "SOAK PASSED" : "SOAK FAILED");
process.exit(ok ? 0 : 1);

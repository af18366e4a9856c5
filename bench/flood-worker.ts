// The attacker of bench/webhook-flood.ts, on its own thread so that sending the flood does not
// share an event loop with the server that has to refuse it.
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { Pool } from "undici";

interface FloodJob {
  readonly base: string;
  readonly localAddress: string;
  readonly rate: number;
  readonly seconds: number;
  readonly headers: Record<string, string>[];
  readonly bodies: string[];
}

const job = workerData as FloodJob;
const pool = new Pool(job.base, { connections: 64, localAddress: job.localAddress });
const latencies: number[] = [];
const statuses: Record<number, number> = {};
let errors = 0;
let sent = 0;

const fire = async (n: number) => {
  const started = performance.now();
  try {
    const response = await pool.request({
      path: "/hooks/halopsa",
      method: "POST",
      headers: { "content-type": "application/json", ...job.headers[n % job.headers.length] },
      body: job.bodies[n % job.bodies.length],
    });
    await response.body.dump();
    latencies.push(performance.now() - started);
    statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
  } catch {
    errors += 1;
  }
};

// Open loop: every 10 ms, a hundredth of the second's requests, whatever the earlier ones are doing.
const inFlight: Promise<void>[] = [];
const t0 = performance.now();
for (let tick = 0; tick < job.seconds * 100; tick += 1) {
  const wait = t0 + tick * 10 - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  for (let i = 0; i < job.rate / 100; i += 1) inFlight.push(fire((sent += 1)));
  if (inFlight.length > 5000) await Promise.all(inFlight.splice(0, inFlight.length));
}
await Promise.all(inFlight);
const seconds = (performance.now() - t0) / 1000;
await pool.close();
parentPort?.postMessage({ sent, seconds, latencies, statuses, errors });

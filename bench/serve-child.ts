// `verity serve` as its own process, for the benchmark and the soak: what runs in production.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { FakeTwilio } from "../test/fakes/twilio/fake-twilio.js";

/**
 * The highest per-caller limits configuration allows, for load: each caller stays below 1,000
 * texts an hour, and the desk-wide limits never bind.
 */
export const BENCH_LIMITS = {
  sends: { max: 1000, windowSeconds: 3600 },
  failures: { max: 1000, windowSeconds: 86_400 },
  technician: { max: 1_000_000, windowSeconds: 3600 },
  tenant: { max: 1_000_000, windowSeconds: 3600 },
  tenantDaily: { max: 1_000_000, windowSeconds: 86_400 },
  smsCountry: { max: 1_000_000, windowSeconds: 3600 },
  smsPrefix: { max: 1_000_000, windowSeconds: 3600 },
};

export const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "dist", "src", "cli", "bin.js");

/** One `verity serve` child process. */
export interface Server {
  readonly base: string;
  readonly child: ChildProcess;
  /** Peak resident set (VmHWM) so far, in MB. */
  peakRssMb(): number;
  /** Resident set (VmRSS) now, in MB. */
  rssMb(): number;
  /** CPU seconds (user + system) so far. */
  cpuSeconds(): number;
  /** SIGTERM; resolves with the milliseconds it took to exit. */
  stop(): Promise<number>;
}

export async function startServer(configPath: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<Server> {
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): for profiling the server.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? [];
  const child = spawn(process.execPath, [...nodeArgs, BIN, "serve", "--config", configPath, "--port", String(port)], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verity serve exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`verity serve did not answer within 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const proc = (file: string) => readFileSync(`/proc/${child.pid}/${file}`, "utf8");
  return {
    base,
    child,
    peakRssMb: () => Number(/VmHWM:\s+(\d+) kB/.exec(proc("status"))?.[1] ?? 0) / 1024,
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(proc("status"))?.[1] ?? 0) / 1024,
    cpuSeconds: () => {
      const fields = proc("stat").split(") ")[1]?.split(" ") ?? [];
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: () =>
      new Promise((resolve) => {
        const began = performance.now();
        child.once("exit", () => resolve(performance.now() - began));
        child.kill("SIGTERM");
      }),
  };
}

/** `verity token create` against the same store, as an operator would. */
export async function createToken(configPath: string): Promise<string> {
  const out = await runCli(["token", "create", "--name", "bench", "--role", "technician", "--config", configPath]);
  const token = /\b(vt_[A-Za-z0-9_-]+)/.exec(out)?.[1] ?? /^\s*([A-Za-z0-9_-]{30,})\s*$/m.exec(out)?.[1];
  if (token === undefined) throw new Error(`no token in: ${out}`);
  return token;
}

export function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`verity ${args.join(" ")} exited ${code}: ${out}`))));
  });
}

/** The latest code texted to `to` after message index `from` (the fake keeps every message, in order). */
export function codeFor(twilio: FakeTwilio, to: string, from: number): string | undefined {
  for (let i = twilio.messages.length - 1; i >= from; i -= 1) {
    const m = twilio.messages[i];
    if (m?.to === to) return /\b(\d{6})\b/.exec(m.body)?.[1];
  }
  return undefined;
}

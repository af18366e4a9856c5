import { createHmac, randomBytes, randomInt, randomUUID } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VerityError } from "../../../domain/errors.js";
import type { Clock, PushContext, PushProvider, PushStatus } from "../../../domain/ports.js";

export const SIMULATED_LABEL = "simulated provider · DEVELOPMENT ONLY";

export interface SimulatedPrompt {
  readonly id: string;
  readonly tenantId: string;
  readonly providerUserId: string;
  readonly displayName: string;
  readonly title: string;
  readonly message: string;
  readonly context: PushContext;
  /** The number the caller must pick on the phone (number matching). */
  readonly challenge: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export type SimulatedDecision = "approved" | "denied" | "fraud" | "cancelled";

interface DecisionFile {
  readonly decision: SimulatedDecision;
  readonly at: string;
}

export interface SimulatedPushProvider extends PushProvider {
  /** Prompts nobody has answered yet and that have not timed out, newest first. */
  pendingPrompts(): Promise<(SimulatedPrompt & { readonly choices: readonly string[] })[]>;
  /** Records the phone's answer. The first answer wins; a wrong number counts as a denial. */
  answer(id: string, answer: { decision: "approve" | "deny" | "fraud"; number?: string }): Promise<SimulatedDecision>;
  /** The current six-digit passcode of the simulated authenticator app of one user. */
  currentPasscode(providerUserId: string): Promise<string>;
}

const ID_PATTERN = /^sim_[0-9a-f-]{36}$/;
const STEP_SECONDS = 30;

/**
 * A development push/passcode provider with no vendor behind it. Prompts and answers are files
 * under the data folder, so a CLI process and the demo server see the same prompts; the demo
 * phone page answers them. Prompts use number matching: approving needs the number the
 * technician reads to the caller.
 */
export function createSimulatedPushProvider(options: { name: string; dir: string; clock: Clock }): SimulatedPushProvider {
  const promptsDir = join(options.dir, "prompts");
  const decisionsDir = join(options.dir, "decisions");
  const seedPath = join(options.dir, "authenticator.seed");

  const ensureDirs = async () => {
    await mkdir(promptsDir, { recursive: true, mode: 0o700 });
    await mkdir(decisionsDir, { recursive: true, mode: 0o700 });
  };

  const readPrompt = async (id: string): Promise<SimulatedPrompt | undefined> => {
    if (!ID_PATTERN.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(promptsDir, `${id}.json`), "utf8")) as SimulatedPrompt;
    } catch {
      return undefined;
    }
  };

  const readDecision = async (id: string): Promise<DecisionFile | undefined> => {
    try {
      return JSON.parse(await readFile(join(decisionsDir, `${id}.json`), "utf8")) as DecisionFile;
    } catch {
      return undefined;
    }
  };

  /** Writes the decision only if none exists (O_EXCL): the first answer wins across processes. */
  const decide = async (id: string, decision: SimulatedDecision): Promise<SimulatedDecision> => {
    await ensureDirs();
    try {
      const body: DecisionFile = { decision, at: options.clock.now().toISOString() };
      await writeFile(join(decisionsDir, `${id}.json`), JSON.stringify(body), { flag: "wx", mode: 0o600 });
      return decision;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      return (await readDecision(id))?.decision ?? decision;
    }
  };

  const seed = async (): Promise<Buffer> => {
    await ensureDirs();
    try {
      await writeFile(seedPath, randomBytes(32), { flag: "wx", mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    return readFile(seedPath);
  };

  const passcodeAt = async (providerUserId: string, step: number): Promise<string> => {
    const mac = createHmac("sha256", await seed()).update(`${providerUserId.toLowerCase()}\u0000${step}`).digest();
    return (mac.readUInt32BE(0) % 1_000_000).toString().padStart(6, "0");
  };

  const step = () => Math.floor(options.clock.now().getTime() / 1000 / STEP_SECONDS);

  return {
    name: options.name,
    kind: "simulated",
    developmentOnly: true,
    probe: () =>
      Promise.resolve({
        ok: true,
        detail: `A development provider: pushes and codes go to the demo phone (files under ${options.dir}), never to a real device.`,
      }),

    async startPush(request) {
      await ensureDirs();
      const now = options.clock.now();
      const prompt: SimulatedPrompt = {
        id: `sim_${randomUUID()}`,
        tenantId: request.tenantId,
        providerUserId: request.providerUserId,
        displayName: request.user.displayName,
        title: request.title,
        message: request.message,
        context: request.context,
        challenge: String(randomInt(10, 100)),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + request.timeoutSeconds * 1000).toISOString(),
      };
      await writeFile(join(promptsDir, `${prompt.id}.json`), JSON.stringify(prompt), { mode: 0o600 });
      return { transactionRef: prompt.id, numberChallenge: prompt.challenge };
    },

    async pollPush(transactionRef): Promise<PushStatus> {
      const prompt = await readPrompt(transactionRef);
      if (prompt === undefined) {
        throw new VerityError("PROVIDER_ERROR", { message: "The simulated provider has no such push." });
      }
      const decision = await readDecision(transactionRef);
      switch (decision?.decision) {
        case "approved":
          return { outcome: "approved", detail: "Approved on the demo phone" };
        case "denied":
          return { outcome: "denied", detail: "Denied on the demo phone" };
        case "fraud":
          return { outcome: "fraud", detail: "Reported as fraud on the demo phone" };
        case "cancelled":
          return { outcome: "timeout", detail: "Cancelled" };
        case undefined:
          return options.clock.now().toISOString() >= prompt.expiresAt
            ? { outcome: "timeout", detail: "No answer on the demo phone" }
            : { outcome: "waiting" };
      }
    },

    async cancelPush(transactionRef) {
      if ((await readPrompt(transactionRef)) !== undefined) await decide(transactionRef, "cancelled");
    },

    describeUser() {
      return Promise.resolve({ exists: true, push: true, passcode: true, devices: ["the demo phone"], detail: null });
    },

    async checkPasscode(request) {
      const now = step();
      for (const s of [now, now - 1]) {
        if ((await passcodeAt(request.providerUserId, s)) === request.passcode) {
          return { valid: true, detail: "Matches the demo authenticator" };
        }
      }
      return { valid: false, detail: "Does not match the demo authenticator" };
    },

    async pendingPrompts() {
      let files: string[];
      try {
        files = await readdir(promptsDir);
      } catch {
        return [];
      }
      const now = options.clock.now().toISOString();
      const prompts = await Promise.all(
        files.filter((f) => f.endsWith(".json")).map((f) => readPrompt(f.slice(0, -".json".length))),
      );
      const open = [];
      for (const prompt of prompts) {
        if (prompt === undefined || prompt.expiresAt <= now) continue;
        if ((await readDecision(prompt.id)) !== undefined) continue;
        open.push({ ...prompt, choices: choicesFor(prompt) });
      }
      return open.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async answer(id, answer) {
      const prompt = await readPrompt(id);
      if (prompt === undefined) throw new VerityError("NOT_FOUND", { message: "No such prompt." });
      if (answer.decision === "deny") return decide(id, "denied");
      if (answer.decision === "fraud") return decide(id, "fraud");
      return decide(id, answer.number === prompt.challenge ? "approved" : "denied");
    },

    currentPasscode(providerUserId) {
      return passcodeAt(providerUserId, step());
    },
  };
}

/** Three numbers including the right one, in an order derived from the prompt id (stable per prompt). */
function choicesFor(prompt: SimulatedPrompt): string[] {
  const right = Number(prompt.challenge);
  const digest = createHmac("sha256", "choices").update(prompt.id).digest();
  const others = new Set<number>();
  let i = 0;
  while (others.size < 2) {
    const candidate = 10 + ((digest[i % digest.length] ?? 0) + i * 7) % 90;
    if (candidate !== right) others.add(candidate);
    i += 1;
  }
  const all = [right, ...others];
  const shift = (digest[31] ?? 0) % 3;
  return [...all.slice(shift), ...all.slice(0, shift)].map(String);
}

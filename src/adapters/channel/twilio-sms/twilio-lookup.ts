import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import { maskPhone } from "../../../domain/masking.js";
import { normalisePhone } from "../../../domain/phone.js";
import { DESTINATION_SIGNALS as NUMBER_SIGNALS } from "../../../domain/policy.js";
import type { RiskSignal } from "../../../domain/ports.js";
import { CircuitOpenError, createOutboundClient, OutboundError } from "../../http/outbound.js";
import type { TwilioLookupConfig } from "./twilio-config.js";
import { parseJson } from "../../http/json.js";

const VOIP = new Set(["fixedVoip", "nonFixedVoip"]);
const TYPE_WORDS: Readonly<Record<string, string>> = {
  landline: "a landline",
  tollFree: "a toll-free number",
  premium: "a premium-rate number",
  sharedCost: "a shared-cost number",
  uan: "a universal access number",
  voicemail: "a voicemail number",
  pager: "a pager",
  personal: "a personal (follow-me) number",
};

const lookupSchema = z.looseObject({
  valid: z.boolean().optional(),
  validation_errors: z.array(z.string()).nullish(),
  line_type_intelligence: z.looseObject({ type: z.string().nullish(), error_code: z.number().nullish(), carrier_name: z.string().nullish() }).nullish(),
  sim_swap: z
    .looseObject({
      last_sim_swap: z.looseObject({ swapped_period: z.string().nullish(), swapped_in_period: z.boolean().nullish() }).nullish(),
      error_code: z.number().nullish(),
    })
    .nullish(),
});
const errorSchema = z.looseObject({ code: z.number().optional(), message: z.string().optional() });

export interface TwilioLookupDeps {
  readonly name: string;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** Basic credentials, as the Messages API uses them. */
  readonly authorization: () => string;
  /** Milliseconds since the epoch, for the line-type cache; the system clock by default. */
  readonly now?: () => number;
}

/** Twilio Lookup could not be asked: no answer, a 5xx, or an open circuit. */
class LookupOutage extends Error {}

/** A line type is kept this long per number: it rarely changes (a port to VoIP is the case). */
export const LINE_TYPE_TTL_MS = 6 * 60 * 60_000;
const LINE_TYPE_CACHE_MAX = 10_000;

/**
 * Definite line-type answers by number, so a caller's next verification skips a round trip. Keys
 * are SHA-256 digests, so the cache holds no phone numbers. SIM-swap answers are never cached.
 */
function createLineTypeCache(now: () => number) {
  const entries = new Map<string, { signals: RiskSignal[]; until: number }>();
  const key = (to: string) => createHash("sha256").update(to).digest("base64url");
  return {
    get(to: string): RiskSignal[] | undefined {
      const hit = entries.get(key(to));
      if (hit === undefined || hit.until <= now()) return undefined;
      return hit.signals;
    },
    set(to: string, signals: RiskSignal[]): void {
      if (entries.size >= LINE_TYPE_CACHE_MAX) entries.delete(entries.keys().next().value ?? "");
      entries.set(key(to), { signals, until: now() + LINE_TYPE_TTL_MS });
    },
  };
}

/**
 * Twilio Lookup v2 (`GET /v2/PhoneNumbers/{E.164}?Fields=line_type_intelligence[,sim_swap]`) as
 * risk signals. Mobile lines with no recent SIM swap give none. Phone numbers appear in signals
 * masked only. The number is known only once the directory has answered, so a first check costs
 * one round trip before the send; a definite line type is then kept for six hours.
 *
 * @example
 * ```ts
 * const lookup = createTwilioLookup(config.lookup, { name, log, authorization });
 * await lookup.assess("+14155550100"); // [{ code: "number_voip", detail: "The registered number … is a VoIP number …" }]
 * ```
 */
export function createTwilioLookup(config: TwilioLookupConfig, deps: TwilioLookupDeps) {
  const lineTypes = createLineTypeCache(deps.now ?? Date.now);
  // The caller is waiting for the text: one retry at most, then the check counts as unavailable.
  // During a Lookup outage every start would wait out two timeouts before failing closed anyway:
  // the client's breaker (SECURITY.md R2) makes it fail closed at once.
  const client = createOutboundClient({ name: "Twilio Lookup", timeoutMs: config.timeoutMs, maxRetries: 1, log: deps.log, ...(deps.now === undefined ? {} : { now: deps.now }) });
  const assess = async (to: string): Promise<RiskSignal[]> => {
    const knownLineType = config.lineType ? lineTypes.get(to) : undefined;
    const fields = [...(config.lineType && knownLineType === undefined ? ["line_type_intelligence"] : []), ...(config.simSwap ? ["sim_swap"] : [])];
    if (fields.length === 0) return knownLineType ?? [];
    const shown = masked(to);
    const unavailable = (why: string): RiskSignal[] => [{ code: NUMBER_SIGNALS.unavailable, detail: `Twilio Lookup could not check ${shown}: ${why}` }];
    let response;
    try {
      const url = `${config.baseUrl}/v2/PhoneNumbers/${encodeURIComponent(to)}?Fields=${fields.join(",")}`;
      response = await client
        .request({ method: "GET", url, headers: { authorization: deps.authorization(), accept: "application/json" }, retry: "idempotent" })
        .catch((error: unknown) => {
          if (error instanceof CircuitOpenError) {
            throw new LookupOutage(`Twilio Lookup failed repeatedly, so Verity is not asking it for ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))} s.`);
          }
          throw error instanceof OutboundError ? new LookupOutage("Twilio did not answer in time.") : error;
        });
      if (response.status >= 500) throw new LookupOutage(`Twilio answered HTTP ${response.status}.`);
    } catch (error) {
      if (!(error instanceof LookupOutage)) throw error;
      deps.log.warn({ provider: deps.name, to: shown, reason: error.message }, "Twilio Lookup unavailable");
      return unavailable(error.message);
    }
    if (response.status !== 200) {
      const said = parseJson(errorSchema, response.text);
      deps.log.warn({ provider: deps.name, to: shown, status: response.status, code: said?.code }, "Twilio Lookup refused the request");
      const auth = response.status === 401 || response.status === 403;
      return unavailable(
        auth
          ? `Twilio refused Verity's credentials for Lookup (HTTP ${response.status}${said?.code === undefined ? "" : `, error ${said.code}`}); an administrator must check the account's Lookup access.`
          : `Twilio answered HTTP ${response.status}${said?.code === undefined ? "" : ` (error ${said.code})`}.`,
      );
    }
    const answer = parseJson(lookupSchema, response.text);
    if (answer === undefined) return unavailable("Twilio's answer could not be read.");
    if (answer.valid === false) {
      return [{ code: NUMBER_SIGNALS.invalid, detail: `Twilio says ${shown} is not a valid number (${(answer.validation_errors ?? []).join(", ") || "no reason given"}).` }];
    }
    const signals: RiskSignal[] = [...(knownLineType ?? [])];
    if (config.lineType && knownLineType === undefined) {
      const found = lineTypeSignals(answer.line_type_intelligence, shown);
      if (!found.some((s) => s.code === NUMBER_SIGNALS.unavailable)) lineTypes.set(to, found);
      signals.push(...found);
    }
    if (config.simSwap) signals.push(...simSwapSignals(answer.sim_swap, shown));
    deps.log.debug({ provider: deps.name, to: shown, signals: signals.map((s) => s.code) }, "Twilio Lookup checked the number");
    return signals;
  };

  return { assess, close: () => client.close() };
}

function lineTypeSignals(info: z.output<typeof lookupSchema>["line_type_intelligence"], shown: string): RiskSignal[] {
  if (info === null || info === undefined) return [{ code: NUMBER_SIGNALS.unavailable, detail: `Twilio Lookup returned no line type for ${shown}.` }];
  if (info.error_code !== null && info.error_code !== undefined) {
    const why = info.error_code === 60601 ? " (Canadian numbers need Twilio's approval for line-type data)" : "";
    return [{ code: NUMBER_SIGNALS.unavailable, detail: `Twilio could not tell the line type of ${shown}: error ${info.error_code}${why}.` }];
  }
  const type = info.type ?? "unknown";
  if (type === "mobile") return [];
  if (VOIP.has(type)) {
    return [{ code: NUMBER_SIGNALS.voip, detail: `The registered number ${shown} is a VoIP number (${type}): a code sent there does not prove a phone in the caller's hand.` }];
  }
  const words = TYPE_WORDS[type];
  if (words === undefined) return [{ code: NUMBER_SIGNALS.unavailable, detail: `Twilio could not tell the line type of ${shown} (${type}).` }];
  return [{ code: NUMBER_SIGNALS.notMobile, detail: `The registered number ${shown} is ${words} (${type}), not a mobile phone.` }];
}

function simSwapSignals(info: z.output<typeof lookupSchema>["sim_swap"], shown: string): RiskSignal[] {
  if (info === null || info === undefined) return [{ code: NUMBER_SIGNALS.unavailable, detail: `Twilio Lookup returned no SIM-swap data for ${shown}.` }];
  if (info.error_code !== null && info.error_code !== undefined) {
    // 60620: the carrier's data is incomplete; Twilio says treat it as unavailable, do not retry.
    return [{ code: NUMBER_SIGNALS.unavailable, detail: `SIM-swap data for ${shown} is not available (Twilio error ${info.error_code}).` }];
  }
  if (info.last_sim_swap?.swapped_in_period === true) {
    return [{ code: NUMBER_SIGNALS.simSwap, detail: `The SIM of ${shown} changed ${periodWords(info.last_sim_swap.swapped_period)}: the number may now be in someone else's phone.` }];
  }
  return [];
}

/** `PT48H` → "in the last 48 hours"; `P7D` → "in the last 7 days"; anything else → "recently". */
export function periodWords(period: string | null | undefined): string {
  const hours = /^PT(\d{1,4})H$/.exec(period ?? "")?.[1];
  if (hours !== undefined) return `in the last ${hours} hours`;
  const days = /^P(\d{1,3})D$/.exec(period ?? "")?.[1];
  if (days !== undefined) return `in the last ${days} days`;
  return "recently";
}

function masked(to: string): string {
  try {
    return maskPhone(normalisePhone(to));
  } catch {
    return "the registered number";
  }
}

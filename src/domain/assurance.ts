import { parseMethod } from "./methods.js";
import type { VerificationEvidence } from "./verification.js";

/**
 * How strongly a method shows the caller is the account's owner, weakest first (issue 12):
 * 1. `possession`: a code or link sent to a registered phone number or email address;
 * 2. `app`: approval in a registered authenticator app, without number matching;
 * 3. `app-matched`: a number-matched approval, or a code the provider checks (TOTP, hardware token);
 * 4. `phishing-resistant`: a sign-in at the caller's identity provider with a phishing-resistant
 *    authenticator (passkey/FIDO2, Windows Hello, certificate);
 * 5. `proofing`: identity proofing with a liveness check (Entra Verified ID with Face Check).
 * How the levels map to NIST SP 800-63B-4 is in docs/assurance.md.
 */
export const ASSURANCE_LEVELS = ["possession", "app", "app-matched", "phishing-resistant", "proofing"] as const;
export type AssuranceLevel = (typeof ASSURANCE_LEVELS)[number];

/** 1 to 5, for comparing levels and for people ("level 3 of 5"). */
export const assuranceRank = (level: AssuranceLevel): number => ASSURANCE_LEVELS.indexOf(level) + 1;

/** What a level proves, in the words a technician and a ticket note use. */
export const ASSURANCE_WORDS: Readonly<Record<AssuranceLevel, string>> = {
  possession: "possession of a registered phone number or email address",
  app: "approval in a registered authenticator app",
  "app-matched": "number-matched approval or a provider-checked code from a registered authenticator",
  "phishing-resistant": "a phishing-resistant sign-in at the caller's identity provider",
  proofing: "identity proofing with a liveness check",
};

/** "level 3 of 5: number-matched approval or …". */
export const assuranceLabel = (level: AssuranceLevel): string => `level ${assuranceRank(level)} of ${ASSURANCE_LEVELS.length}: ${ASSURANCE_WORDS[level]}`;

/**
 * The level a verification by `method` reaches. A push reaches `app-matched` only when the caller
 * had to pick or type the number the technician read out (`challenge`); a sign-in reaches what its
 * recorded evidence showed, and Face Check reaches `proofing` only with a recorded score.
 */
export function assuranceOf(method: string, challenge: string | null, evidence: VerificationEvidence | null = null): AssuranceLevel {
  const spec = parseMethod(method);
  switch (spec.kind) {
    case "code":
    case "link":
    case "approval":
      // A code read back, or a link answered on the phone with the number the technician read out:
      // both rest on possession of the registered phone number or email address. A manager's
      // approval rests on the manager's mailbox; it counts as an independent second method.
      return "possession";
    case "signin":
      // What the sign-in's evidence showed (acrs/amr, acr); never more than phishing-resistant.
      return evidence?.assurance !== undefined && assuranceRank(evidence.assurance) <= assuranceRank("phishing-resistant") ? evidence.assurance : "possession";
    case "faceid":
      // Only a verified presentation with a Face Check score at the threshold ends as verified.
      return evidence?.faceCheck === undefined ? "possession" : "proofing";
    case "push":
      return challenge === null ? "app" : "app-matched";
    case "passcode":
      return "app-matched";
  }
}

/**
 * The most a method can reach, for choosing one before it starts: a sign-in can reach
 * phishing-resistant and Face Check proofing; a push is counted without number matching.
 */
export function assuranceCeiling(method: string): AssuranceLevel {
  const kind = parseMethod(method).kind;
  if (kind === "signin") return "phishing-resistant";
  if (kind === "faceid") return "proofing";
  return assuranceOf(method, null);
}

/**
 * What a tenant's policy asks of a verified caller: a level, for every caller or for privileged
 * ones, and whether two verified methods of different kinds stand in for it (NIST SP 800-63B-4's
 * agent-assisted recovery: two independent methods, or a fresh proofing).
 */
export interface AssuranceRequirement {
  readonly level: AssuranceLevel;
  readonly orTwoMethods: boolean;
}

/** Whether what was achieved meets what is required. */
export function meetsAssurance(required: AssuranceRequirement, achieved: { readonly best: AssuranceLevel; readonly methods: number }): boolean {
  return assuranceRank(achieved.best) >= assuranceRank(required.level) || (required.orTwoMethods && achieved.methods >= 2);
}

/** What is still needed, in words, or null when nothing is. */
export function stillNeeded(required: AssuranceRequirement, achieved: { readonly best: AssuranceLevel; readonly methods: number }): string | null {
  if (meetsAssurance(required, achieved)) return null;
  return `${ASSURANCE_WORDS[required.level]} (level ${assuranceRank(required.level)})${required.orTwoMethods ? ", or a second verification by a different method" : ""}`;
}

import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { isVerityError, VerityError } from "../domain/errors.js";
import type { Clock } from "../domain/ports.js";
import type { Database } from "../store/schema.js";
import { deleteExpiredAuthFlows, insertAuthFlow, takeAuthFlow } from "../store/session-dal.js";
import type { WebUser } from "../store/user-dal.js";
import type { AuditWriter } from "./audit-service.js";
import type { SsoIdentity, WebUserService } from "./web-users.js";

/** A sign-in flow lives this long: time enough to sign in at the provider, not to keep a state about. */
export const FLOW_TTL_MS = 10 * 60_000;

/** The port an identity provider adapter fills (src/adapters/sso). */
export interface SsoProviderPort {
  readonly name: string;
  readonly label: string;
  authorize(redirectUri: string): Promise<{ url: string; state: string; nonce: string; codeVerifier: string }>;
  /** @throws a VerityError whose `details.reason` says why, for the audit log */
  complete(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<SsoIdentity>;
}

/**
 * Single sign-on, from the button to a signed-in user. A flow is one row keyed by the hash of a
 * random id that only the browser's cookie holds, so the callback counts only in the browser that
 * started it; the row is deleted as it is read, so a state works once. Every refusal is audited
 * (`signin.failed`, method `sso:<name>`) before it is thrown.
 */
export interface SsoSignin {
  /** The configured providers, for the sign-in page's buttons. */
  readonly providers: readonly { readonly name: string; readonly label: string }[];
  /** @returns the flow id (for the cookie) and the provider's authorization URL */
  begin(name: string, redirectUri: string, next: string): Promise<{ flowId: string; url: string }>;
  /** @returns the signed-in user and where they were going */
  complete(input: { name: string; flowId: string | undefined; callbackUrl: URL; address: string }): Promise<{ user: WebUser; next: string }>;
}

const hash = (flowId: string) => createHash("sha256").update(flowId).digest("base64url");

export function createSsoSignin(deps: {
  db: Kysely<Database>;
  clock: Clock;
  audit: Pick<AuditWriter, "append">;
  users: Pick<WebUserService, "upsertSso">;
  providers: readonly SsoProviderPort[];
}): SsoSignin {
  const byName = new Map(deps.providers.map((p) => [p.name, p]));
  const unknown = () => new VerityError("NOT_FOUND", { message: "No such sign-in provider." });

  const refuse = async (name: string, address: string, error: VerityError): Promise<VerityError> => {
    const details = (error.details ?? {}) as { reason?: unknown; subject?: unknown };
    // The name comes from the URL: an unknown one is not written to the audit log as it came.
    const method = byName.has(name) ? `sso:${name}` : "sso:(unknown provider)";
    await deps.audit.append([
      {
        actor: "web:anonymous",
        action: "signin.failed",
        outcome: "refused",
        reason: typeof details.reason === "string" ? details.reason : error.code,
        data: { method, code: error.code, address, ...(typeof details.subject === "string" ? { subject: details.subject } : {}) },
      },
    ]);
    return error;
  };

  return {
    providers: deps.providers.map((p) => ({ name: p.name, label: p.label })),

    async begin(name, redirectUri, next) {
      const provider = byName.get(name);
      if (provider === undefined) throw unknown();
      const request = await provider.authorize(redirectUri);
      const flowId = randomBytes(32).toString("base64url");
      const now = deps.clock.now();
      await deleteExpiredAuthFlows(deps.db, now.toISOString());
      await insertAuthFlow(deps.db, {
        id_hash: hash(flowId),
        provider: name,
        state: request.state,
        nonce: request.nonce,
        code_verifier: request.codeVerifier,
        return_to: next,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + FLOW_TTL_MS).toISOString(),
      });
      return { flowId, url: request.url };
    },

    async complete({ name, flowId, callbackUrl, address }) {
      const provider = byName.get(name);
      if (provider === undefined) throw await refuse(name, address, unknown());
      const flow = flowId !== undefined && /^[A-Za-z0-9_-]{43}$/.test(flowId) ? await takeAuthFlow(deps.db, hash(flowId), deps.clock.now().toISOString()) : undefined;
      if (flow === undefined) {
        const reason = flowId === undefined ? "no sign-in flow cookie" : "sign-in flow unknown, already used or expired";
        throw await refuse(name, address, new VerityError("SSO_FLOW_INVALID", { details: { reason } }));
      }
      if (flow.provider !== name) {
        // An IdP mix-up: the answer reached another provider's callback than the one this browser chose.
        throw await refuse(name, address, new VerityError("SSO_FLOW_INVALID", { details: { reason: `flow was started for provider ${flow.provider}, callback came to ${name} (mix-up)` } }));
      }
      try {
        const identity = await provider.complete(callbackUrl, { state: flow.state, nonce: flow.nonce, codeVerifier: flow.code_verifier });
        try {
          return { user: await deps.users.upsertSso(identity), next: flow.return_to ?? "/verify" };
        } catch (error) {
          if (isVerityError(error) && error.code === "ACCOUNT_DISABLED") {
            throw new VerityError("ACCOUNT_DISABLED", { details: { reason: "account disabled", subject: identity.subject } });
          }
          throw error;
        }
      } catch (error) {
        if (!isVerityError(error)) throw error;
        throw await refuse(name, address, error);
      }
    },
  };
}

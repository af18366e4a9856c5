import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { beginResponse, endResponse, MESSAGES, parseRequest, type ResponseFields } from "./fake-connector-xml.js";
import type { ConnectorMethod, Decision, FakeMfaRequest, FakeMfaSession, FakeMfaUser, ScriptedCaller } from "./fake-entra-mfa-types.js";
import type { MfaLoginState } from "./fake-mfa-login.js";

export interface UserEntry {
  readonly tenant: string;
  readonly user: FakeMfaUser;
  caller: ScriptedCaller;
}

export interface ConnectorState {
  readonly login: MfaLoginState;
  /** Where Begin's AffinityUrl points (the connector the request came to). */
  readonly affinityBase: (path: string) => string;
  readonly sessions: FakeMfaSession[];
  /** By lower-case UPN. */
  readonly users: Map<string, UserEntry>;
  /** `upn\0code` pairs already accepted once (OathCodeDuplicate afterwards). */
  readonly usedCodes: Set<string>;
  readonly pushTimeoutMs: number;
  readonly sessionLifetimeMs: number;
}

type Operation = "BeginTwoWayAuthentication" | "EndTwoWayAuthentication";
type Outcome = Pick<ResponseFields, "value" | "authenticationResult" | "retry">;

const DEFAULT_METHODS: readonly ConnectorMethod[] = ["PhoneAppNotification", "PhoneAppOTP"];
const PENDING: Outcome = { value: "AuthenticationPending", authenticationResult: null, retry: true };

function send(response: ServerResponse, xml: string): void {
  response.writeHead(200, { "content-type": "application/xml; charset=utf-8" }).end(xml);
}

/** A connector answer for `operation` carrying only a Result (no session). */
export function resultOnly(response: ServerResponse, operation: Operation, value: string, retry = false): void {
  const fields: ResponseFields = { value, message: MESSAGES[value] ?? null, retry, authenticationResult: false };
  send(response, operation === "BeginTwoWayAuthentication" ? beginResponse(fields) : endResponse(fields));
}

function scripted(caller: ScriptedCaller, elapsed: number): (Decision & { atMs: number }) | undefined {
  if (caller.action === "ignore") return undefined;
  const atMs = caller.afterMs ?? 0;
  if (atMs > elapsed) return undefined;
  if (caller.action === "approve") return { kind: "approve", atMs, ...(caller.number === undefined ? {} : { number: caller.number }) };
  if (caller.action === "result") return { kind: "result", value: caller.value, atMs };
  return { kind: caller.action, atMs };
}

/** Where a push session stands now: the caller's answer, Microsoft's no-response timer, or pending. */
export function pushOutcome(state: ConnectorState, session: FakeMfaSession, now: number): Outcome {
  const elapsed = now - session.startedAt;
  if (elapsed >= state.sessionLifetimeMs) return { value: "InvalidSession", authenticationResult: null };
  const entry = state.users.get(session.upn.toLowerCase());
  const decision = session.decision ?? (entry === undefined ? undefined : scripted(entry.caller, elapsed));
  if (decision !== undefined && decision.atMs < state.pushTimeoutMs) {
    switch (decision.kind) {
      case "approve": {
        const entropy = entry?.user.entropy ?? 0;
        const wrong = entropy > 0 && decision.number !== undefined && decision.number !== entropy;
        return wrong ? { value: "PhoneAppEntropyIncorrect", authenticationResult: false } : { value: "Success", authenticationResult: true };
      }
      case "deny":
        return { value: "PhoneAppDenied", authenticationResult: false };
      case "fraud":
        return { value: "PhoneAppFraudReported", authenticationResult: false };
      case "result":
        return { value: decision.value, authenticationResult: false };
    }
  }
  return elapsed >= state.pushTimeoutMs ? { value: "PhoneAppNoResponse", authenticationResult: false } : PENDING;
}

function bearerTenant(state: ConnectorState, request: IncomingMessage): string | undefined {
  const header = request.headers.authorization ?? "";
  const token = /^Bearer (\S+)$/.exec(header)?.[1];
  const issued = token === undefined ? undefined : state.login.tokens.get(token);
  if (issued === undefined || issued.expiresAt <= state.login.now() || issued.resource !== state.login.resource) return undefined;
  return issued.tenant;
}

async function begin(state: ConnectorState, request: IncomingMessage, response: ServerResponse, fields: Readonly<Record<string, string | null>>, tenantId: string, path: string) {
  const refuse = (value: string) => resultOnly(response, "BeginTwoWayAuthentication", value);
  const version = fields.Version;
  if (version !== "1.0" && version !== "1") return refuse("VersionNotSupported");
  const upn = fields.UserPrincipalName ?? "";
  if (upn === "") return refuse("InvalidParameter");
  const tenant = state.login.tenant(tenantId);
  if (tenant?.blocked === true) return refuse("TenantIsBlocked");
  const owner = state.login.tenant(upn.slice(upn.lastIndexOf("@") + 1));
  if (owner !== undefined && owner.id !== tenantId) return refuse("AccessDenied");
  const entry = state.users.get(upn.toLowerCase());
  if (entry === undefined || entry.tenant !== tenantId) return refuse("BecAccessDenied");
  if (entry.user.beginResult !== undefined) return refuse(entry.user.beginResult);
  const methods = entry.user.methods ?? DEFAULT_METHODS;
  const asked = fields.AuthenticationMethodId;
  let method: ConnectorMethod;
  if (asked !== undefined && asked !== null && asked !== "") {
    if (!(methods as readonly string[]).includes(asked)) return refuse("AuthenticationMethodNotConfigured");
    method = asked as ConnectorMethod;
  } else {
    const preferred = entry.user.defaultMethod === undefined ? (methods[0] ?? null) : entry.user.defaultMethod;
    if (preferred === null) return refuse("NoDefaultAuthenticationMethodIsConfigured");
    method = preferred;
  }
  const session: FakeMfaSession = {
    id: randomUUID(),
    tenant: tenantId,
    upn: entry.user.upn,
    contextId: fields.ContextId ?? "",
    method,
    sync: fields.SyncCall === "true" && method !== "PhoneAppOTP",
    startedAt: state.login.now(),
  };
  state.sessions.push(session);
  const common = {
    sessionId: session.id,
    upn: entry.user.upn,
    affinityUrl: state.affinityBase(path),
    entropy: method === "PhoneAppNotification" ? (entry.user.entropy ?? 0) : 0,
  };
  if (!session.sync) return send(response, beginResponse({ value: "Success", authenticationResult: null, ...common }));
  let gone = false;
  request.socket.once("close", () => {
    gone = true;
  });
  let outcome = pushOutcome(state, session, state.login.now());
  while (outcome === PENDING && !gone) {
    await sleep(10);
    outcome = pushOutcome(state, session, state.login.now());
  }
  if (!gone) send(response, beginResponse({ ...outcome, message: MESSAGES[outcome.value] ?? null, ...common }));
}

function end(state: ConnectorState, response: ServerResponse, fields: Readonly<Record<string, string | null>>, tenantId: string) {
  const reply = (outcome: Outcome) => send(response, endResponse({ ...outcome, message: MESSAGES[outcome.value] ?? null }));
  const invalid = () => reply({ value: "InvalidSession", authenticationResult: null });
  const sessionId = fields.SessionId ?? "";
  if (sessionId === "") return resultOnly(response, "EndTwoWayAuthentication", "InvalidParameter");
  const session = state.sessions.find((s) => s.id === sessionId);
  if (session === undefined || session.closed === true) return invalid();
  if (session.tenant !== tenantId) return resultOnly(response, "EndTwoWayAuthentication", "AccessDenied");
  const upn = fields.UserPrincipalName;
  const contextId = fields.ContextId;
  if ((upn !== undefined && upn !== null && upn.toLowerCase() !== session.upn.toLowerCase()) || (contextId !== undefined && contextId !== null && contextId !== session.contextId)) {
    return invalid();
  }
  const now = state.login.now();
  if (now - session.startedAt >= state.sessionLifetimeMs) return invalid();
  if (session.method !== "PhoneAppOTP") return reply(pushOutcome(state, session, now));
  const code = fields.AdditionalAuthData ?? "";
  if (code === "") return reply(PENDING);
  session.closed = true;
  const expected = state.users.get(session.upn.toLowerCase())?.user.passcode;
  const key = `${session.upn.toLowerCase()}\u0000${code}`;
  if (code !== expected) return reply({ value: "OathCodeIncorrect", authenticationResult: false });
  if (state.usedCodes.has(key)) return reply({ value: "OathCodeDuplicate", authenticationResult: false });
  state.usedCodes.add(key);
  return reply({ value: "Success", authenticationResult: true });
}

/**
 * POST {connector}/BeginTwoWayAuthentication and /EndTwoWayAuthentication: a bearer token the
 * fake issued for the connector resource, XML in and out. Users, their methods and their scripted
 * callers decide the answers; Begin with SyncCall true holds the response until the caller acts or
 * Microsoft's no-response timer runs out.
 */
export async function handleConnector(state: ConnectorState, request: IncomingMessage, response: ServerResponse, operation: Operation, path: string, body: string, entry: FakeMfaRequest): Promise<void> {
  entry.xml = body;
  const tenantId = bearerTenant(state, request);
  if (tenantId === undefined) {
    response.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
    return;
  }
  const parsed = parseRequest(body, `${operation}Request`);
  if (parsed === undefined) {
    response.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("The request body is not a valid request message.");
    return;
  }
  entry.elements = parsed.elements;
  entry.fields = parsed.fields;
  if (operation === "BeginTwoWayAuthentication") return begin(state, request, response, parsed.fields, tenantId, path);
  return end(state, response, parsed.fields, tenantId);
}

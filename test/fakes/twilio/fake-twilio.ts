import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { postStatusCallback, type RecordedCallback } from "./fake-twilio-callbacks.js";
import { authenticate, completeAccount, errorBody, messageResource, type FakeMessage } from "./fake-twilio-resource.js";
import { lookupReply, type FakeLookupData } from "./fake-twilio-lookup.js";
import { accountRead } from "./fake-twilio-account.js";
import { checkCreateForm, fakeSid, twilioError, type FakeTwilioAccount, type FakeTwilioDestinationRules, type TwilioErrorReply } from "./fake-twilio-rules.js";

export { fakeSid, type FakeTwilioAccount } from "./fake-twilio-rules.js";
export { signTwilioForm, type RecordedCallback } from "./fake-twilio-callbacks.js";
export type { FakeMessage } from "./fake-twilio-resource.js";

/** Every request the fake received, as it arrived, with the answer it gave (if any). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body read as a form (repeated keys keep every value). */
  readonly form: Readonly<Record<string, string[]>>;
  /** When the request arrived (ms since the epoch). */
  readonly receivedAt: number;
  response: { readonly status: number; readonly body: unknown } | null;
}

/**
 * How the next sends misbehave. `429` and `503` answer before Twilio looks at the request, so
 * nothing is recorded; `500`, `hang` and `reset` happen after Twilio accepted the message, so it
 * is recorded (and may be delivered): exactly the ambiguous case.
 */
export type FakeTwilioFailure = "429" | "503" | "500" | "hang" | "reset";

export interface FakeTwilioOptions {
  /** Accounts and their credentials; by default one account with a sender and a Messaging Service. */
  readonly accounts?: readonly Partial<FakeTwilioAccount>[];
  readonly optedOut?: readonly string[];
  readonly landlines?: readonly string[];
  readonly blockedPrefixes?: readonly string[];
  readonly unroutable?: readonly string[];
  /** After each accepted send with a StatusCallback, report queued → sent → delivered by itself. */
  readonly autoCallbacks?: boolean;
  readonly callbackDelayMs?: number;
  /** Retry-After on a 429, in seconds; Twilio sending one is UNCONFIRMED, so none by default. */
  readonly retryAfterSeconds?: number | null;
  /** Delay before answering each request, to model a real round trip (default 0). */
  readonly latencyMs?: number;
  /** Lookup v2: E.164 → line type (default `mobile`; `landlines` are `landline`). */
  readonly lineTypes?: Readonly<Record<string, string>>;
}

export interface FakeTwilio extends FakeTwilioDestinationRules, FakeLookupData {
  readonly baseUrl: string;
  /** The first account: what most tests configure Verity with. */
  readonly account: FakeTwilioAccount;
  readonly accounts: readonly FakeTwilioAccount[];
  readonly messages: FakeMessage[];
  readonly requests: RecordedRequest[];
  readonly callbacks: RecordedCallback[];
  /** The next `count` sends fail this way. */
  failNext(failure: FakeTwilioFailure, count?: number): void;
  /** The next `count` Lookup requests fail this way (`hang`: never answered; `401`: bad credentials). */
  failNextLookup(failure: "hang" | "500" | "401", count?: number): void;
  /** Moves a message to `status` and posts its signed status callback, if it asked for one. */
  deliver(sid: string, status: string, errorCode?: number): Promise<RecordedCallback | null>;
  /** Twilio's JSON for a message, as the create and fetch endpoints return it. */
  resource(message: FakeMessage): Record<string, unknown>;
  /** Resolves with the predicate's first truthy value, polling every 10 ms. */
  waitFor<T>(predicate: () => T | false | null | undefined, timeoutMs?: number): Promise<T>;
  /** Forgets messages, requests, callbacks and queued failures. */
  reset(): void;
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const LOOKUP_PATH = /^\/v2\/PhoneNumbers\/([^/]+)$/;

/**
 * A local Twilio Programmable Messaging API on 127.0.0.1 with a free port: Basic auth with an
 * Auth Token or an API key, the create-Message checks and errors Twilio documents, fetch, rate
 * limiting and ambiguous failures on demand, and signed status callbacks. The same server answers
 * Lookup v2 (`/v2/PhoneNumbers/{n}`: line type, SIM swap), which Twilio serves from another host.
 */
export async function startFakeTwilio(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accounts = (options.accounts ?? [{}]).map(completeAccount);
  const messages: FakeMessage[] = [];
  const requests: RecordedRequest[] = [];
  const callbacks: RecordedCallback[] = [];
  const failures: FakeTwilioFailure[] = [];
  const rules: FakeTwilioDestinationRules = {
    optedOut: new Set(options.optedOut),
    landlines: new Set(options.landlines),
    blockedPrefixes: new Set(options.blockedPrefixes),
    unroutable: new Set(options.unroutable),
  };
  const lookupData: FakeLookupData = {
    lineTypes: new Map([...(options.landlines ?? []).map((n) => [n, "landline"] as const), ...Object.entries(options.lineTypes ?? {})]),
    lineTypeErrors: new Map(),
    simSwaps: new Map(),
  };
  const lookupFailures: ("hang" | "500" | "401")[] = [];
  const delayMs = options.callbackDelayMs ?? 5;
  let closed = false;

  const deliver = async (sid: string, status: string, errorCode?: number): Promise<RecordedCallback | null> => {
    const message = messages.find((m) => m.sid === sid);
    const account = accounts.find((a) => a.sid === message?.accountSid);
    if (message === undefined || account === undefined) throw new Error(`fake Twilio has no message ${sid}`);
    message.status = status;
    message.errorCode = errorCode ?? null;
    message.dateUpdated = new Date();
    message.from ??= account.senders[0] ?? null;
    if (status === "sent" || status === "delivered") message.dateSent ??= new Date();
    if (message.statusCallback === null) return null;
    const params: Record<string, string> = {
      AccountSid: account.sid,
      ApiVersion: "2010-04-01",
      From: message.from ?? "",
      MessageSid: sid,
      MessageStatus: status,
      SmsSid: sid,
      SmsStatus: status,
      To: message.to,
      ...(message.messagingServiceSid === null ? {} : { MessagingServiceSid: message.messagingServiceSid }),
      ...(errorCode === undefined ? {} : { ErrorCode: String(errorCode) }),
    };
    const recorded = await postStatusCallback(account.authToken, message.statusCallback, sid, params);
    callbacks.push(recorded);
    return recorded;
  };

  const autoDeliver = async (sid: string): Promise<void> => {
    for (const status of ["queued", "sent", "delivered"]) {
      await sleep(delayMs);
      if (closed) return;
      await deliver(sid, status);
    }
  };

  const createMessage = (record: RecordedRequest, account: FakeTwilioAccount): { status: number; body: unknown; message?: FakeMessage } => {
    const checked = checkCreateForm(new URLSearchParams(record.rawBody), account, rules);
    if ("code" in checked) return errorReply(checked);
    const now = new Date();
    const message: FakeMessage = {
      sid: fakeSid("SM"),
      accountSid: account.sid,
      to: checked.to,
      from: checked.from,
      messagingServiceSid: checked.messagingServiceSid,
      body: checked.body,
      statusCallback: checked.statusCallback,
      validityPeriod: checked.validityPeriod,
      status: checked.from === null ? "accepted" : "queued",
      errorCode: null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
    };
    messages.push(message);
    return { status: 201, body: messageResource(message), message };
  };

  const route = (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.response = { status, body };
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(body));
    };
    const lookup = LOOKUP_PATH.exec(record.path);
    if (lookup !== null) {
      const failure = lookupFailures.shift();
      if (failure === "hang") return;
      if (failure === "500") return reply(500, errorBody(twilioError(500, 20500, "Internal Server Error")));
      if (failure === "401" || authenticate(accounts, req.headers.authorization) === undefined) {
        return reply(401, errorBody(twilioError(401, 20003, "Authenticate")), { "www-authenticate": 'Basic realm="Twilio API"' });
      }
      if (req.method !== "GET") return reply(405, errorBody(twilioError(405, 20004, "Method not allowed")));
      const answer = lookupReply(lookup[1] ?? "", new URLSearchParams(record.query), lookupData);
      return "code" in answer ? reply(answer.status, errorBody(answer)) : reply(answer.status, answer.body);
    }
    const read = accountRead(req.method ?? "", record.path, record.query, authenticate(accounts, req.headers.authorization));
    if (read !== null) return reply(read.status, read.body, read.headers);
    const list = MESSAGES_PATH.exec(record.path);
    const one = MESSAGE_PATH.exec(record.path);
    const isSend = list !== null && req.method === "POST";
    const failure = isSend ? failures.shift() : undefined;
    if (failure === "429") {
      const headers: Record<string, string> = options.retryAfterSeconds == null ? {} : { "retry-after": String(options.retryAfterSeconds) };
      return reply(429, errorBody(twilioError(429, 20429, "Too Many Requests")), headers);
    }
    if (failure === "503") return reply(503, errorBody(twilioError(503, 20503, "Service Unavailable")));
    const pathAccount = (list ?? one)?.[1];
    if (pathAccount === undefined) return reply(404, errorBody(twilioError(404, 20404, "The requested resource was not found")));
    const account = authenticate(accounts, req.headers.authorization);
    if (account === undefined) {
      return reply(401, errorBody(twilioError(401, 20003, "Authenticate")), { "www-authenticate": 'Basic realm="Twilio API"' });
    }
    if (account.sid !== pathAccount) {
      return reply(404, errorBody(twilioError(404, 20404, `The requested resource /2010-04-01/Accounts/${pathAccount}/Messages.json was not found`)));
    }
    if (isSend) {
      if (!(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
        return reply(400, errorBody(twilioError(400, 21604, "A 'To' phone number is required.")));
      }
      const created = createMessage(record, account);
      if (failure === "hang") return;
      if (failure === "reset") return void req.socket.destroy();
      if (failure === "500" && created.message !== undefined) return reply(500, errorBody(twilioError(500, 20500, "Internal Server Error")));
      if (created.message !== undefined && options.autoCallbacks === true && created.message.statusCallback !== null) {
        void autoDeliver(created.message.sid);
      }
      return reply(created.status, created.body);
    }
    const found = one === null ? undefined : messages.find((m) => m.sid === one[2] && m.accountSid === account.sid);
    if (req.method === "GET" && one !== null) {
      return found === undefined ? reply(404, errorBody(twilioError(404, 20404, "The requested resource was not found"))) : reply(200, messageResource(found));
    }
    return reply(405, errorBody(twilioError(405, 20004, "Method not allowed")));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake.twilio");
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const form: Record<string, string[]> = {};
      if ((req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
        for (const [key, value] of new URLSearchParams(rawBody)) (form[key] ??= []).push(value);
      }
      const record: RecordedRequest = { method: req.method ?? "", path: url.pathname, query: url.search, headers: req.headers, rawBody, form, receivedAt: Date.now(), response: null };
      requests.push(record);
      if ((options.latencyMs ?? 0) > 0) setTimeout(() => route(req, res, record), options.latencyMs);
      else route(req, res, record);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const [firstAccount] = accounts;
  if (firstAccount === undefined) throw new Error("fake Twilio needs at least one account");

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    account: firstAccount,
    accounts,
    messages,
    requests,
    callbacks,
    ...rules,
    ...lookupData,
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i += 1) failures.push(failure);
    },
    failNextLookup(failure, count = 1) {
      for (let i = 0; i < count; i += 1) lookupFailures.push(failure);
    },
    deliver,
    resource: messageResource,
    async waitFor(predicate, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value !== false && value !== null && value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`fake Twilio: condition not met within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    reset() {
      messages.length = 0;
      requests.length = 0;
      callbacks.length = 0;
      failures.length = 0;
      lookupFailures.length = 0;
    },
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const errorReply = (e: TwilioErrorReply) => ({ status: e.status, body: errorBody(e) });

/** A Verity `providers.<name>` block (raw, before parsing) for the fake's first account: Messages and Lookup both on the fake. */
export function twilioProviderConfig(fake: Pick<FakeTwilio, "account" | "baseUrl">, lookup: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "twilio",
    accountSid: fake.account.sid,
    auth: { kind: "authToken", authToken: fake.account.authToken },
    from: fake.account.senders[0],
    baseUrl: fake.baseUrl,
    messagingBaseUrl: fake.baseUrl,
    lookup: { baseUrl: fake.baseUrl, ...lookup },
  };
}

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { envelope, SOAP_NS, VIP_NS } from "../../../src/adapters/push/vip/vip-requests.js";
import { element, leaf, parseXml, type XmlElement } from "../../../src/adapters/push/vip/vip-xml.js";
import { createUser, DEFAULT_VIP_USERS, newOtp, type CallerScript, type FakeTransaction, type FakeVipUser, type FakeVipUserInit } from "./fake-vip-model.js";
import { handleCheckOtp, handleGetUserInfo, handlePoll, handlePush, type OperationResult, type VipState } from "./fake-vip-operations.js";
import { REQUEST_SHAPES, shapeProblem } from "./fake-vip-shape.js";
import { createTestPki, type TestPki } from "./test-pki.js";

export { DEFAULT_VIP_USERS, type CallerScript, type FakeTransaction, type FakeVipUser, type FakeVipUserInit } from "./fake-vip-model.js";
export { createTestPki, type CertifiedKey, type TestPki } from "./test-pki.js";

export const AUTH_PATH = "/vipuserservices/AuthenticationService_1_7";
export const QUERY_PATH = "/vipuserservices/QueryService_1_7";

/** Which request elements each service dispatches (the auth and query WSDLs). */
const SERVICES: Readonly<Record<string, readonly string[]>> = {
  [AUTH_PATH]: ["AuthenticateUserWithPushRequest", "CheckOtpRequest"],
  [QUERY_PATH]: ["PollPushStatusRequest", "GetUserInfoRequest", "GetServerTimeRequest"],
};

/**
 * How the next matching request misbehaves: a SOAP Fault (HTTP 500), another HTTP answer, no
 * answer at all, a dropped connection, or a VIP status code in an otherwise normal response.
 */
export type FakeVipFailure =
  | { readonly kind: "fault"; readonly faultString?: string }
  | { readonly kind: "http"; readonly status: number; readonly body?: string }
  | { readonly kind: "hang" }
  | { readonly kind: "reset" }
  | { readonly kind: "status"; readonly status: string; readonly statusMessage?: string };

export interface RecordedVipRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body element's local name, when the body parsed. */
  readonly operation: string | null;
  readonly parsed: XmlElement | null;
  /** The common name of the client certificate the TLS layer accepted. */
  readonly clientCertificate: string | null;
  readonly receivedAt: number;
  response: { readonly httpStatus: number; readonly body: string } | null;
}

export interface FakeVipOptions {
  /** Users by VIP user id; default DEFAULT_VIP_USERS. */
  readonly users?: Readonly<Record<string, FakeVipUserInit>>;
  readonly pki?: TestPki;
  /** Answer pushes with `numbersChallengeValue`, as VIP does with "Require Number Challenge" on. */
  readonly numberChallenge?: boolean;
  /** Wrong security codes in a row before a user is locked (VIP Manager policy; 5 here, UNCONFIRMED). */
  readonly lockAfterFailures?: number;
  readonly tlsMaxVersion?: "TLSv1.2" | "TLSv1.3";
  readonly latencyMs?: number;
}

export interface FakeVip {
  readonly baseUrl: string;
  readonly authUrl: string;
  readonly queryUrl: string;
  readonly pki: TestPki;
  readonly users: Map<string, FakeVipUser>;
  readonly transactions: Map<string, FakeTransaction>;
  readonly requests: RecordedVipRequest[];
  /** Adds or replaces a user. */
  addUser(userId: string, init: FakeVipUserInit): FakeVipUser;
  /** How this user's phone answers from now on. */
  setCaller(userId: string, script: CallerScript): void;
  /** Answers a pending push now, as the phone would. */
  answer(transactionId: string, answer: "approve" | "deny" | "wrong-number"): void;
  /** A security code VIP will accept once for this user (as their token or app would show it). */
  validOtp(userId: string): string;
  /** The next `count` requests (of `operation`, if given) fail this way. */
  failNext(failure: FakeVipFailure, options?: { readonly count?: number; readonly operation?: string }): void;
  /** Resolves with the predicate's first truthy value, polling every 10 ms. */
  waitFor<T>(predicate: () => T | false | null | undefined, timeoutMs?: number): Promise<T>;
  /** Forgets requests, transactions and queued failures; users and their scripts are rebuilt. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A local VIP User Services 1.7 on 127.0.0.1 over HTTPS with mutual TLS: a client without a
 * certificate from the test CA is refused during the handshake, as VIP refuses one without the
 * account's VIP certificate. Both services share the server under their own paths. Requests are
 * checked for well-formed XML, the right service and the schema's shape (600B otherwise), then
 * answered like VIP: 6040 and a transaction for a push, 7001 until the scripted caller answers,
 * 7000/7002, 7004 once `request.timeout` passes, 7005 for an unknown transaction.
 */
export async function startFakeVip(options: FakeVipOptions = {}): Promise<FakeVip> {
  const pki = options.pki ?? createTestPki();
  const inits = { ...(options.users ?? DEFAULT_VIP_USERS) };
  const state: VipState = {
    users: new Map(),
    transactions: new Map(),
    numberChallenge: options.numberChallenge === true,
    lockAfterFailures: options.lockAfterFailures ?? 5,
  };
  const requests: RecordedVipRequest[] = [];
  const failures: { failure: FakeVipFailure; operation: string | undefined }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const loadUsers = () => {
    state.users.clear();
    for (const [userId, init] of Object.entries(inits)) state.users.set(userId, createUser(userId, init));
  };
  loadUsers();

  const answer = (transactionId: string, reply: "approve" | "deny" | "wrong-number") => {
    const tx = state.transactions.get(transactionId);
    if (tx === undefined || tx.state !== "pending" || Date.now() > tx.createdAt + tx.timeoutSeconds * 1000) return;
    tx.state = reply === "approve" ? "approved" : reply === "deny" ? "denied" : "wrong-number";
    tx.answeredAt = Date.now();
  };
  const runCaller = (tx: FakeTransaction) => {
    const script = state.users.get(tx.userId)?.caller;
    if (script === undefined || script.answer === "ignore") return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer(tx.transactionId, script.answer);
    }, script.afterMs ?? 0);
    timers.add(timer);
  };

  const dispatch = (operation: string, req: XmlElement): OperationResult => {
    switch (operation) {
      case "AuthenticateUserWithPushRequest":
        return handlePush(state, req, runCaller);
      case "PollPushStatusRequest":
        return handlePoll(state, req);
      case "CheckOtpRequest":
        return handleCheckOtp(state, req);
      case "GetServerTimeRequest":
        return { status: "0000", statusMessage: "Success", fields: [leaf("timestamp", new Date().toISOString())] };
      default:
        return handleGetUserInfo(state, req);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, record: RecordedVipRequest): Promise<void> => {
    const send = (httpStatus: number, body: string, contentType = "text/xml; charset=utf-8") => {
      record.response = { httpStatus, body };
      res.writeHead(httpStatus, { "content-type": contentType }).end(body);
    };
    if ((options.latencyMs ?? 0) > 0) await sleep(options.latencyMs);
    const served = SERVICES[record.path];
    if (served === undefined) return send(404, "<html><body>Not Found</body></html>", "text/html");
    if (req.method !== "POST") return send(405, "<html><body>Method Not Allowed</body></html>", "text/html");
    if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("text/xml")) return send(415, "", "text/plain");
    const body = record.parsed?.children.find((c) => c.ns === SOAP_NS && c.local === "Body");
    const request = body?.children[0];
    if (record.parsed === null || body === undefined || request === undefined) return send(500, fault("S:Client", "Couldn't create SOAP message: not a SOAP 1.1 request"));
    const index = failures.findIndex((f) => f.operation === undefined || f.operation === request.local);
    const failure = index === -1 ? undefined : failures.splice(index, 1)[0]?.failure;
    if (failure?.kind === "fault") return send(500, fault("S:Server", failure.faultString ?? "Internal server error"));
    if (failure?.kind === "http") return send(failure.status, failure.body ?? "<html><body>Service Unavailable</body></html>", "text/html");
    if (failure?.kind === "hang") return;
    if (failure?.kind === "reset") return void req.socket.destroy();
    if (request.ns !== VIP_NS || !served.includes(request.local)) {
      return send(500, fault("S:Client", `Cannot find dispatch method for {${request.ns}}${request.local}`));
    }
    const responseName = request.local.replace(/Request$/, "Response");
    const requestId = request.children.find((c) => c.local === "requestId")?.text ?? "";
    if (failure?.kind === "status") {
      return send(200, vipResponse(responseName, requestId, { status: failure.status, statusMessage: failure.statusMessage ?? "Injected failure" }));
    }
    const problem = shapeProblem(request, REQUEST_SHAPES[request.local] ?? []);
    const result = problem === null ? dispatch(request.local, request) : { status: "600B", statusMessage: "Schema validation failed.", detailMessage: problem };
    return send(200, vipResponse(responseName, /^[0-9A-Za-z_]{4,40}$/.test(requestId) ? requestId : "invalid", result));
  };

  const server = createServer(
    {
      key: pki.server.key,
      cert: pki.server.cert,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
      ...(options.tlsMaxVersion === undefined ? {} : { maxVersion: options.tlsMaxVersion }),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let parsed: XmlElement | null = null;
        try {
          parsed = parseXml(body);
        } catch {
          parsed = null;
        }
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        const record: RecordedVipRequest = {
          method: req.method ?? "",
          path: new URL(req.url ?? "/", "https://fake.vip").pathname,
          headers: req.headers,
          body,
          operation: parsed?.children.find((c) => c.local === "Body")?.children[0]?.local ?? null,
          parsed,
          clientCertificate: typeof peer.subject?.CN === "string" ? peer.subject.CN : null,
          receivedAt: Date.now(),
          response: null,
        };
        requests.push(record);
        void handle(req, res, record);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    authUrl: `${baseUrl}${AUTH_PATH}`,
    queryUrl: `${baseUrl}${QUERY_PATH}`,
    pki,
    users: state.users,
    transactions: state.transactions,
    requests,
    addUser(userId, init) {
      inits[userId] = init;
      const user = createUser(userId, init);
      state.users.set(userId, user);
      return user;
    },
    setCaller(userId, script) {
      const user = state.users.get(userId);
      if (user === undefined) throw new Error(`fake VIP has no user ${userId}`);
      user.caller = script;
    },
    answer,
    validOtp(userId) {
      const user = state.users.get(userId);
      if (user === undefined) throw new Error(`fake VIP has no user ${userId}`);
      const otp = newOtp();
      user.validOtps.add(otp);
      return otp;
    },
    failNext(failure, { count = 1, operation } = {}) {
      for (let i = 0; i < count; i += 1) failures.push({ failure, operation });
    },
    async waitFor(predicate, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value !== false && value !== null && value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`fake VIP: condition not met within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
      state.transactions.clear();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      loadUsers();
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A VIP response element: BaseResponseType's status block, then the operation's elements. */
function vipResponse(name: string, requestId: string, r: OperationResult): string {
  return envelope(
    element(
      name,
      [
        leaf("requestId", requestId),
        leaf("status", r.status),
        leaf("statusMessage", r.statusMessage ?? ""),
        r.detail !== undefined && leaf("detail", r.detail),
        r.detailMessage !== undefined && leaf("detailMessage", r.detailMessage),
        ...(r.fields ?? []),
      ],
      { xmlns: VIP_NS },
    ),
  );
}

/** A SOAP 1.1 Fault. VIP's own fault wording is UNCONFIRMED; this is what JAX-WS services send. */
function fault(code: string, text: string): string {
  return envelope(element("S:Fault", [leaf("faultcode", code), leaf("faultstring", text)]));
}

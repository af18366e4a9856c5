import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { createTestPki } from "../vip/test-pki.js";

/** One message the fake relay accepted. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  /** The whole RFC 5322 message as received (headers and body). */
  readonly raw: string;
  readonly queueId: string;
  /** Whether the session was encrypted when the message came. */
  readonly secure: boolean;
  /** The user the session logged in as, if any. */
  readonly user: string | undefined;
}

/**
 * How the next message goes wrong: a reply at MAIL FROM, RCPT TO or after the body (the
 * three-digit code), or the connection dropped after the body arrived, before any reply.
 */
export type SmtpFailure =
  | { readonly at: "mail" | "rcpt" | "data"; readonly reply: number }
  | { readonly at: "drop-after-data" };

export interface FakeSmtpOptions {
  /** Users who may log in (AUTH PLAIN and LOGIN); without any, AUTH is optional. */
  readonly users?: Readonly<Record<string, string>>;
  /** Offer STARTTLS (default true); false makes a relay that only speaks plain text. */
  readonly starttls?: boolean;
  /** Implicit TLS from the first byte (port 465 style). */
  readonly implicitTls?: boolean;
}

export interface FakeSmtp {
  readonly host: string;
  readonly port: number;
  /** The CA that signed the relay's certificate (for 127.0.0.1 and localhost). */
  readonly ca: string;
  /** A CA that did not sign it. */
  readonly otherCa: string;
  readonly messages: readonly ReceivedMail[];
  /** Every AUTH attempt: the user and whether it passed (never the password). */
  readonly logins: readonly { readonly user: string; readonly ok: boolean; readonly method: string }[];
  /** Connections seen so far. */
  connections(): number;
  failNext(failure: SmtpFailure): void;
  close(): Promise<void>;
}

/**
 * A `kind: smtp` provider block for this relay, signing in as `user` (also the sender) over TLS
 * trusted by its CA, with short timeouts; `extra` adds or overrides keys.
 */
export function smtpProviderConfig(fake: Pick<FakeSmtp, "host" | "port" | "ca">, user: string, pass: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "smtp",
    host: fake.host,
    port: fake.port,
    auth: { user, pass },
    from: user,
    tls: { ca: fake.ca },
    connectionTimeoutMs: 2000,
    greetingTimeoutMs: 2000,
    socketTimeoutMs: 2000,
    ...extra,
  };
}

const replyError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/**
 * A real SMTP relay on 127.0.0.1 (the `smtp-server` package), with a test CA's certificate, that
 * requires TLS before AUTH (as Microsoft 365 and every public relay do), records what it accepts
 * and answers `250 OK: queued as <id>` like Postfix.
 */
export async function startFakeSmtp(options: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const pki = createTestPki();
  const messages: ReceivedMail[] = [];
  const logins: { user: string; ok: boolean; method: string }[] = [];
  const failures: SmtpFailure[] = [];
  let connections = 0;
  let counter = 0;
  const users = options.users ?? {};
  const needsAuth = Object.keys(users).length > 0;
  const take = (at: string): SmtpFailure | undefined => {
    const index = failures.findIndex((f) => f.at === at);
    return index < 0 ? undefined : failures.splice(index, 1)[0];
  };

  const server: SMTPServer = new SMTPServer({
    secure: options.implicitTls === true,
    key: pki.server.key,
    cert: pki.server.cert,
    hideSTARTTLS: options.starttls === false,
    // Hiding it is not enough: smtp-server would still take the command; a relay without TLS refuses it.
    ...(options.starttls === false ? { disabledCommands: ["STARTTLS"] } : {}),
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: !needsAuth,
    allowInsecureAuth: false,
    logger: false,
    banner: "fake relay ready",
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      const user = auth.username ?? "";
      const ok = users[user] !== undefined && users[user] === auth.password;
      logins.push({ user, ok, method: auth.method });
      if (!ok) return callback(replyError(535, "5.7.8 Authentication credentials invalid"));
      callback(null, { user });
    },
    onMailFrom(_address, _session, callback) {
      const failure = take("mail");
      if (failure !== undefined && "reply" in failure) return callback(replyError(failure.reply, failure.reply === 421 ? "4.3.2 Service shutting down" : "Sender refused"));
      callback();
    },
    onRcptTo(_address, _session, callback) {
      const failure = take("rcpt");
      if (failure !== undefined && "reply" in failure) return callback(replyError(failure.reply, failure.reply >= 500 ? "5.1.1 Recipient address rejected: User unknown" : "4.2.2 Mailbox full, try later"));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const failure = take("data") ?? take("drop-after-data");
        if (failure?.at === "drop-after-data") {
          for (const connection of server.connections) (connection as unknown as { _socket: { destroy(): void } })._socket.destroy();
          return;
        }
        if (failure !== undefined && "reply" in failure) return callback(replyError(failure.reply, failure.reply >= 500 ? "5.7.1 Message rejected as spam" : "4.7.0 Try again later"));
        counter += 1;
        const queueId = `FAKE${String(counter).padStart(6, "0")}`;
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          from: mailFrom === false ? "" : mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          queueId,
          secure: session.secure,
          user: typeof session.user === "string" ? session.user : undefined,
        });
        callback(null, `OK: queued as ${queueId}`);
      });
    },
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: "127.0.0.1",
    port,
    ca: pki.ca.cert,
    otherCa: pki.otherCa.cert,
    messages,
    logins,
    connections: () => connections,
    failNext: (failure) => failures.push(failure),
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of server.connections) (connection as unknown as { _socket: { destroy(): void } })._socket.destroy();
        server.close(() => resolve());
      }),
  };
}

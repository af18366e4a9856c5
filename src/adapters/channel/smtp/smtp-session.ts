import { Readable } from "node:stream";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type { SmtpConfig } from "./smtp-config.js";
import type { SmtpPhase } from "./smtp-errors.js";

/** A failure tagged with the step it happened in. */
export class SmtpStepError extends Error {
  constructor(
    readonly phase: SmtpPhase,
    override readonly cause: unknown,
  ) {
    super(`SMTP ${phase} failed`);
  }
}

export interface SmtpSession {
  /** Whether the connection is encrypted (implicit TLS or after STARTTLS). */
  readonly secure: () => boolean;
  /** Sends one message; `raw` is the whole RFC 5322 message. Resolves with the server's final reply and its queue id when it gave one. */
  send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<{ response: string; queueId: string | undefined }>;
  /** Says QUIT and closes; never rejects. */
  close(): void;
}

const CLOSED = "ECONNECTION";

/**
 * One SMTP connection, opened for one message (codes are rare: no pool to keep warm), with each
 * step's failure tagged by phase. The body is handed to nodemailer as a stream read only after
 * the server answered DATA with 354, so a failure with no reply can be told apart: before the
 * body ("nothing sent") or after it ("may have been queued").
 */
export async function openSmtpSession(config: SmtpConfig): Promise<SmtpSession> {
  const connection = new SMTPConnection({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: !config.secure && config.requireTLS,
    ignoreTLS: false,
    ...(config.clientName === undefined ? {} : { name: config.clientName }),
    connectionTimeout: config.connectionTimeoutMs,
    greetingTimeout: config.greetingTimeoutMs,
    socketTimeout: config.socketTimeoutMs,
    tls: {
      rejectUnauthorized: true,
      minVersion: config.tls.minVersion,
      ...(config.tls.ca === undefined ? {} : { ca: config.tls.ca }),
      ...(config.tls.servername === undefined ? {} : { servername: config.tls.servername }),
    },
    // nodemailer's own logging would print the AUTH exchange; Verity logs the outcome itself.
    logger: false,
    debug: false,
  });
  let fail: ((error: unknown) => void) | null = null;
  connection.on("error", (error: unknown) => fail?.(error));
  connection.on("end", () => fail?.(Object.assign(new Error("Connection closed"), { code: CLOSED })));

  const step = <T>(phase: SmtpPhase, run: (done: (error: unknown, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown, value?: T) => {
        if (settled) return;
        settled = true;
        fail = null;
        if (error === null || error === undefined) resolve(value as T);
        else reject(new SmtpStepError(phase, error));
      };
      fail = (error) => finish(error ?? new Error("SMTP failure"));
      run(finish);
    });

  const close = () => {
    fail = null;
    try {
      connection.quit();
    } catch {
      connection.close();
    }
  };

  try {
    await step<void>("connect", (done) => connection.connect((error) => done(error ?? null)));
    if (config.auth !== undefined) {
      const auth = config.auth;
      await step<void>("auth", (done) => connection.login({ user: auth.user, pass: auth.pass.reveal() }, (error) => done(error ?? null)));
    }
  } catch (error) {
    close();
    throw error;
  }

  return {
    secure: () => connection.secure,
    close,
    async send(envelope, raw) {
      let bodyStarted = false;
      const body = new Readable({
        read() {
          bodyStarted = true;
          this.push(raw);
          this.push(null);
        },
      });
      try {
        const info = await step<SMTPConnection.SentMessageInfo>("envelope", (done) => connection.send(envelope, body, (error, result) => done(error ?? null, result)));
        return { response: info.response, queueId: info.serverMessageId ?? queueIdOf(info.response) };
      } catch (error) {
        if (error instanceof SmtpStepError && bodyStarted) throw new SmtpStepError("data", error.cause);
        throw error;
      }
    },
  };
}

/** The queue id in a relay's final reply, Postfix style (`250 2.0.0 Ok: queued as 4bXk2P1Zs7z9vQ`). */
export function queueIdOf(response: string): string | undefined {
  return /\bqueued as ([A-Za-z0-9._-]{1,100})/i.exec(response)?.[1];
}

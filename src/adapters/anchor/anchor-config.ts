import { join } from "node:path";
import { z } from "zod";
import { secretString, timeoutMs } from "../../config/fields.js";
import { webhookSecretKey } from "../http/standard-webhooks.js";

/** One JSON line per anchor, appended. Relative paths are resolved from the configuration file. */
const fileSink = z.strictObject({
  kind: z.literal("file"),
  path: z.string().min(1),
});

/** A POST of the anchor as JSON, signed per Standard Webhooks with `secret`. */
const webhookSink = z.strictObject({
  kind: z.literal("webhook"),
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  secret: secretString.refine(
    (s) => webhookSecretKey(s.reveal()) !== undefined,
    "must be a Standard Webhooks secret: whsec_ followed by the base64 of 24 to 64 random bytes",
  ),
  timeoutMs: timeoutMs.default(15_000),
});

/** An RFC 5424 message to a syslog collector; TCP uses octet-counting framing (RFC 6587). */
const syslogSink = z.strictObject({
  kind: z.literal("syslog"),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(514),
  protocol: z.enum(["udp", "tcp"]).default("udp"),
  /** 13 is "log audit" in RFC 5424's table; collectors often route it apart from other logs. */
  facility: z.number().int().min(0).max(23).default(13),
  timeoutMs: timeoutMs.default(5000),
});

export const anchorSinkSchema = z.discriminatedUnion("kind", [fileSink, webhookSink, syslogSink]);
export type AnchorSinkConfig = z.output<typeof anchorSinkSchema>;
export type FileAnchorSinkConfig = z.output<typeof fileSink>;
export type WebhookAnchorSinkConfig = z.output<typeof webhookSink>;
export type SyslogAnchorSinkConfig = z.output<typeof syslogSink>;

/**
 * The top-level `audit` block: where the audit chain's head is exported, so that someone who can
 * write the database still cannot rewrite the whole chain unnoticed.
 *
 * @example
 * ```yaml
 * audit:
 *   anchor:
 *     intervalSeconds: 300
 *     sinks:
 *       - { kind: file, path: /mnt/audit-anchors/verity.jsonl }
 *       - { kind: webhook, url: https://siem.example.com/hooks/verity, secret: ${VERITY_ANCHOR_WEBHOOK_SECRET} }
 *       - { kind: syslog, host: logs.example.com, protocol: tcp }
 * ```
 */
export const auditConfigSchema = z
  .strictObject({
    anchor: z
      .strictObject({
        intervalSeconds: z.number().int().min(10).max(86_400).default(300),
        /** Absent: one file in dataDir (filled in by the loader). `[]` turns anchoring off. */
        sinks: z.array(anchorSinkSchema).max(10).optional(),
      })
      .prefault({}),
  })
  .prefault({});

export const DEFAULT_ANCHOR_FILE = "audit-anchors.jsonl";

/** The sinks to use: the configured ones with file paths made absolute, else one file in dataDir. */
export function resolveAnchorSinks(
  sinks: readonly AnchorSinkConfig[] | undefined,
  dataDir: string,
  absolute: (path: string) => string,
): AnchorSinkConfig[] {
  if (sinks === undefined) return [{ kind: "file", path: join(dataDir, DEFAULT_ANCHOR_FILE) }];
  return sinks.map((sink) => (sink.kind === "file" ? { ...sink, path: absolute(sink.path) } : sink));
}

/** How a sink is named in logs and output: never a secret, a URL's credentials, path or query. */
export function anchorSinkLabel(sink: AnchorSinkConfig): string {
  if (sink.kind === "file") return sink.path;
  if (sink.kind === "syslog") return `${sink.protocol}://${sink.host.includes(":") ? `[${sink.host}]` : sink.host}:${sink.port}`;
  const url = new URL(sink.url);
  return `${url.protocol}//${url.host}`;
}

import { z } from "zod";
import { Secret } from "./secret.js";

/**
 * Building blocks for configuration schemas, shared by the core schema and every adapter's own
 * schema (adapters export `<vendor>ConfigSchema` built from these).
 */

/** A secret: write it as ${ENV_NAME} or ${file:/path} in YAML; it parses to a redacting Secret. */
export const secretString = z
  .string()
  .min(1, "must not be empty")
  .transform((value) => new Secret(value));

/**
 * A vendor base URL. Every external URL is configurable (sovereign clouds, proxies, tests); http
 * is accepted so local fakes work, and the trailing slash is dropped.
 */
export const baseUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .transform((u) => u.replace(/\/+$/, ""));

/** A phone number already in E.164 form (for provider sender numbers; users' numbers are normalised). */
export const e164String = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 number such as +14155550100");

/** Milliseconds for a timeout on one upstream call. */
export const timeoutMs = z.number().int().min(100).max(300_000);

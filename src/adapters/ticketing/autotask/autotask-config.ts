import { z } from "zod";
import { baseUrl, secretString, sourceRanges, timeoutMs } from "../../../config/fields.js";

/** Autotask's documented limit for a webhook's SecretKey (the TicketWebhooks entity, string(64)). */
const SECRET_KEY_MAX = 64;
const SECRET_KEY_MIN = 24;

const fieldName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9 _.-]+$/, "letters, digits, spaces, dots, hyphens and underscores only");

/**
 * A ticketing block of kind `autotask`: the Autotask API user Verity calls the REST API as, and the
 * secret key the ticket webhook signs its deliveries with.
 *
 * @example
 * ```yaml
 * ticketing:
 *   desk:
 *     kind: autotask
 *     username: verity-api@acme.example
 *     secret: ${AUTOTASK_SECRET}
 *     integrationCode: ${AUTOTASK_INTEGRATION_CODE}
 *     triggerField: Verify caller        # optional: act only when the payload shows this field…
 *     triggerValue: "Yes"                #   …set to this value
 *     webhook:
 *       secretKey: ${AUTOTASK_WEBHOOK_SECRET}
 *       allowedSources: [203.0.113.0/24]  # optional
 * ```
 */
export const autotaskConfigSchema = z
  .strictObject({
    kind: z.literal("autotask"),
    /** The API-only user's username (an email address); also what zone discovery looks up. */
    username: z.string().trim().min(3).max(254).regex(/^[^\s:]+$/, "an Autotask API username, without spaces"),
    secret: secretString,
    /** The API tracking identifier (integration code) Autotask issued for Verity. */
    integrationCode: secretString,
    /** Where the zone of `username` is looked up (`…/v1.0/zoneInformation?user=`). */
    zoneDiscoveryUrl: baseUrl.default("https://webservices.autotask.net/atservicesrest"),
    /** The zone's REST base (e.g. https://webservices5.autotask.net/atservicesrest): skips discovery. */
    zoneUrl: baseUrl.optional(),
    /**
     * The ticket notes' `publish` value. Left out, Verity reads the picklist and uses 2 "Internal
     * Project Team"; set it only to choose deliberately (1 "All Autotask Users" reaches outsourced copies).
     */
    notePublish: z.number().int().positive().max(1_000_000).optional(),
    /** With `triggerValue`: a delivery acts only when its fields show this field at that value. */
    triggerField: fieldName.optional(),
    triggerValue: z.string().trim().min(1).max(200).optional(),
    webhook: z.strictObject({
      /** The SecretKey given to the TicketWebhooks entity; Autotask signs each delivery with it. */
      secretKey: secretString.refine((s) => s.reveal().length >= SECRET_KEY_MIN && s.reveal().length <= SECRET_KEY_MAX, {
        message: `must be ${SECRET_KEY_MIN} to ${SECRET_KEY_MAX} characters (Autotask keeps at most ${SECRET_KEY_MAX}): e.g. openssl rand -hex 24`,
      }),
      allowedSources: sourceRanges.optional(),
    }),
    timeoutMs: timeoutMs.default(10_000),
  })
  .refine((c) => (c.triggerField === undefined) === (c.triggerValue === undefined), {
    message: "set triggerField and triggerValue together, or neither",
    path: ["triggerValue"],
  });

export type AutotaskConfig = z.output<typeof autotaskConfigSchema>;

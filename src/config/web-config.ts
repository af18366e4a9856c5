import { z } from "zod";
import { duplicateSsoNames, ssoProviderSchema } from "../adapters/sso/sso-config.js";

/** The `web` block: the technician's web app. */
export const webConfigSchema = z
  .strictObject({
    /** Single-sign-on providers offered on the sign-in page. */
    sso: z
      .array(ssoProviderSchema)
      .max(10)
      .refine((list) => duplicateSsoNames(list).length === 0, { message: "each single-sign-on provider needs its own name" })
      .default([]),
    /**
     * Origins whose pages may show Verity in a frame (a PSA's ticket screen), e.g.
     * https://acme.halopsa.com. None by default: Verity refuses to be framed. A pop-up window
     * needs no setting.
     */
    frameAncestors: z.array(z.url({ protocol: /^https$/ }).transform((u) => new URL(u).origin)).max(20).default([]),
    /** Which history a technician sees: their own verifications (default) or their tenants'. */
    technicianHistory: z.enum(["own", "tenant"]).default("own"),
  })
  .prefault({});

export type WebConfig = z.output<typeof webConfigSchema>;

import { z } from "zod";

const text = (max: number) => z.string().trim().min(1).max(max);
const phone = z.union([z.string(), z.number()]).transform(String);

/** One user as written in a YAML directory file (CSV rows are mapped to the same shape). */
export const fileUserSchema = z.strictObject({
  id: text(128),
  upn: z.email().max(254),
  mail: z.email().max(254).optional(),
  samAccountName: z.string().trim().min(1).max(64).optional(),
  displayName: text(200),
  phones: z
    .strictObject({ mobile: phone.optional(), alternateMobile: phone.optional(), office: phone.optional() })
    .default({}),
  alternateEmails: z.array(z.email().max(254)).max(5).default([]),
  groups: z.array(text(200)).default([]),
  privileged: z.boolean().default(false),
  providerIds: z.record(z.string().regex(/^[a-z][a-z0-9]{1,30}$/), text(128)).default({}),
  /** The user's manager: the `id`, `upn` or `mail` of another user of the same file. */
  manager: text(254).optional(),
});

export type FileUser = z.output<typeof fileUserSchema>;

/** A YAML directory file: its users, and optionally the organisation they belong to. */
export const fileDirectorySchema = z.strictObject({
  organisation: text(200).optional(),
  users: z.array(z.unknown()).max(100_000),
});

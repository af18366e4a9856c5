import { z } from "zod";

/**
 * The parts of Okta's User, Group, Role assignment and UserFactor objects the directory reads.
 * Okta adds properties freely, so unknown keys pass.
 */

const optionalText = z.string().nullable().optional();

export const oktaProfileSchema = z.looseObject({
  login: z.string().min(1),
  email: optionalText,
  firstName: optionalText,
  lastName: optionalText,
  displayName: optionalText,
  /**
   * Okta's base profile: `managerId` (the manager's id) and `manager` (their display name). Both
   * are free text that an HR import or an administrator fills in; whether `managerId` holds an
   * Okta user id, a login or an HR employee number is up to the org (UNCONFIRMED which is usual).
   */
  managerId: optionalText,
  manager: optionalText,
});

export const oktaDirectoryUserSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().optional(),
  passwordChanged: optionalText,
  profile: oktaProfileSchema,
});
export type OktaDirectoryUser = z.output<typeof oktaDirectoryUserSchema>;

export const oktaUserListSchema = z.array(oktaDirectoryUserSchema);

export const oktaGroupSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().optional(),
  profile: z.looseObject({ name: z.string() }).nullable().optional(),
});
export type OktaGroup = z.output<typeof oktaGroupSchema>;

export const oktaRoleSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().optional(),
  label: optionalText,
  status: z.string().optional(),
});
export type OktaRole = z.output<typeof oktaRoleSchema>;

export const oktaDirectoryFactorSchema = z.looseObject({
  id: z.string().min(1),
  factorType: z.string(),
  provider: z.string().optional(),
  status: z.string().optional(),
  created: optionalText,
  lastUpdated: optionalText,
  profile: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type OktaDirectoryFactor = z.output<typeof oktaDirectoryFactorSchema>;

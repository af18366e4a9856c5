import { z } from "zod";
import { readJson } from "../../http/json.js";

const text = z.string().max(10_000);
/** An absent, null or blank value reads as null: profile visibility may withhold a field. */
const maybe = (schema: z.ZodType<string>) =>
  schema
    .nullish()
    .catch(null)
    .transform((v) => (v === undefined || v === null || v.trim() === "" ? null : v.trim()));

/** A user as the service desk API shows one; only `accountId` is always there. */
export const jsmUserSchema = z.object({
  accountId: maybe(z.string().max(128)),
  emailAddress: maybe(z.string().max(254)),
  displayName: maybe(z.string().max(500)),
});

/** `GET /rest/servicedeskapi/request/{issueIdOrKey}`: the fields Verity reads. */
export const jsmRequestSchema = z.object({
  issueId: z.union([z.string(), z.number()]).optional(),
  issueKey: z.string().max(300).optional(),
  reporter: jsmUserSchema.nullish().catch(null),
});

export const jsmCommentSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  body: text.nullish().transform((b) => b ?? ""),
  public: z.boolean().optional(),
});

/** One page of `GET /rest/servicedeskapi/request/{issueIdOrKey}/comment`. */
export const jsmCommentPageSchema = z.object({
  start: z.number().int().nonnegative().optional(),
  limit: z.number().int().nonnegative().optional(),
  size: z.number().int().nonnegative().optional(),
  isLastPage: z.boolean().optional(),
  values: z.array(z.unknown()),
});

/** `GET /rest/api/3/user?accountId=` and `GET /rest/api/3/myself`. */
export const jiraUserSchema = z.object({
  accountId: z.string().min(1).max(128),
  displayName: z.string().max(500).nullish(),
  emailAddress: z.string().max(254).nullish(),
  active: z.boolean().optional(),
});

/** `GET /rest/servicedeskapi/info`. */
export const jsmInfoSchema = z.object({ version: z.string().max(100).optional() });

export type JsmRequest = z.output<typeof jsmRequestSchema>;
export type JsmComment = z.output<typeof jsmCommentSchema>;
export type JiraUser = z.output<typeof jiraUserSchema>;

const serviceDeskError = z.object({ errorMessage: z.string() });
const platformError = z.object({ errorMessages: z.array(z.string()).optional(), errors: z.record(z.string(), z.unknown()).optional() });

/**
 * What Jira said in an error body, in a form safe to quote: the service desk API answers
 * `{errorMessage, i18nErrorMessage}`, the platform API `{errorMessages: [...], errors: {field: msg}}`.
 * Control characters are dropped and the text is cut to 200 characters.
 */
export function jiraErrorMessage(body: string): string | undefined {
  const json = readJson(body);
  const parts: string[] = [];
  const desk = serviceDeskError.safeParse(json);
  if (desk.success) parts.push(desk.data.errorMessage);
  const platform = platformError.safeParse(json);
  if (platform.success) {
    parts.push(...(platform.data.errorMessages ?? []));
    for (const [field, message] of Object.entries(platform.data.errors ?? {})) {
      if (typeof message === "string") parts.push(`${field}: ${message}`);
    }
  }
  const said = parts
    .join("; ")
    .replace(/\p{Cc}+/gu, " ")
    .trim();
  if (said === "") return undefined;
  return said.length > 200 ? `${said.slice(0, 199)}…` : said;
}

/**
 * The Automation rule's "Send web request" action as docs/integrations/jira-service-management.md
 * tells an administrator to configure it. `JSM_RULE_BODY` is the custom data pasted into the
 * action, word for word (a test checks the docs carry it); `automationWebRequest` renders it the
 * way Automation does: each `{{smart.value}}` replaced by its text, unknown or withheld ones by
 * nothing, no JSON escaping.
 */
export const JSM_RULE_BODY = `{"issueKey":"{{issue.key}}","reporterEmail":"{{issue.reporter.emailAddress}}","actor":"{{initiator.accountId}}","at":"{{now}}"}`;

/** The header the docs name for the shared secret. */
export const JSM_SECRET_HEADER = "X-Verity-Secret";

export interface AutomationContext {
  readonly issueKey: string;
  /** What `{{issue.reporter.emailAddress}}` renders; null when profile visibility withholds it. */
  readonly reporterEmail: string | null;
  readonly initiator: string | null;
  readonly now: Date;
}

/** `{{now}}` as Automation renders it: `2020-08-18T02:40:37.0+0000`. */
export function jiraNow(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 19)}.${Math.floor(at.getUTCMilliseconds() / 100)}+0000`;
}

/** Renders a body template as Automation would for `context`. */
export function renderSmartValues(template: string, context: AutomationContext): string {
  const values: Record<string, string | null> = {
    "issue.key": context.issueKey,
    "issue.reporter.emailAddress": context.reporterEmail,
    "initiator.accountId": context.initiator,
    now: jiraNow(context.now),
  };
  return template.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_m, name: string) => values[name] ?? "");
}

/**
 * The request Jira's Automation sends to Verity for one press of "Verify caller": POST, the
 * secret header, `Content-Type: application/json`, the rendered body. `template` and `secret`
 * can be changed to model a misconfigured rule; `secret: null` sends no secret header.
 */
export function automationWebRequest(options: {
  readonly verityBase: string;
  readonly system: string;
  readonly secret: string | null;
  readonly context: AutomationContext;
  readonly template?: string;
}): { url: string; init: RequestInit } {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Atlassian Automation" };
  if (options.secret !== null) headers[JSM_SECRET_HEADER] = options.secret;
  return {
    url: `${options.verityBase}/hooks/ticketing/${options.system}`,
    init: { method: "POST", headers, body: renderSmartValues(options.template ?? JSM_RULE_BODY, options.context) },
  };
}

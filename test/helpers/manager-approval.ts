import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readOutbox } from "../../src/adapters/channel/console/console-channel.js";
import type { Runtime } from "../../src/main.js";
import { acmeTenant } from "./runtime.js";

/**
 * Acme's callers with managers: Jane and Sam (privileged) report to Morgan; Alex has none; Chris's
 * manager's address is one Chris registered himself; Tess reports to Terry, the test technician;
 * Max's manager has no mail of their own (the address falls back to the UPN in a file).
 */
export const MANAGED_DIRECTORY_YAML = `
organisation: Acme Test
users:
  - { id: u-1, upn: Jane@Acme.test, displayName: Jane Doe, phones: { mobile: "+44 7700 900001" }, alternateEmails: [jane.alt@mail.test], manager: morgan@acme.test }
  - { id: u-2, upn: sam@acme.test, displayName: Sam Patel, phones: { mobile: "+44 7700 900002" }, privileged: true, manager: m-1 }
  - { id: u-3, upn: alex@acme.test, displayName: Alex Kim, phones: { office: "+44 20 7946 0003" } }
  - { id: u-4, upn: chris@acme.test, displayName: Chris Lee, alternateEmails: [pat.boss@mail.test], manager: m-2 }
  - { id: u-6, upn: tess@acme.test, displayName: Tess Trainee, manager: terry@acme.test }
  - { id: m-1, upn: morgan@acme.test, mail: morgan.manager@acme.test, displayName: Morgan Manager }
  - { id: m-2, upn: pat@acme.test, mail: pat.boss@mail.test, displayName: Pat Boss }
  - { id: t-1, upn: terry@acme.test, displayName: Terry Tech }
`;

/** Acme with manager approval (and the SMS code, for two methods) over the console channel. */
export function acmeWithApproval(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const path = join(dir, "managed-directory.yaml");
  writeFileSync(path, MANAGED_DIRECTORY_YAML);
  return acmeTenant(dir, { directory: { kind: "file", path }, methods: { sms: "console", "sms-link": "console", "manager-approval": "console" }, ...extra });
}

/** The newest approval email sent for a verification, as the manager's inbox (the console outbox) shows it. */
export async function approvalSentFor(runtime: Runtime, verificationId: string): Promise<{ to: string; subject: string; text: string; url: string; ref: string }> {
  const messages = await readOutbox(join(runtime.config.dataDir, "dev-outbox.jsonl"), 500);
  const message = messages.find((m) => m.verificationId === verificationId);
  const match = /(https?:\/\/\S+\/c\/([0-9a-f-]{36}\.[A-Za-z0-9_-]{22}))/.exec(message?.text ?? "");
  if (message === undefined || match?.[1] === undefined || match[2] === undefined) throw new Error(`no approval email was sent for ${verificationId}`);
  return { to: message.to, subject: message.subject, text: message.text, url: match[1], ref: match[2] };
}

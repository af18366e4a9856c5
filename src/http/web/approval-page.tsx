import type { ApprovalOutcome } from "../../services/approval.js";
import type { CallerLinkPage } from "../../services/caller-link.js";
import { AnsweredPage, CallerFacts, Frame } from "./caller-link-page.js";

/**
 * The manager's approval page (manager-approval): who asks, for whom, for which ticket and why,
 * and two answers. Like the confirmation page: no sign-in, no script, every value escaped, and
 * reading it changes nothing (mail scanners open links); only the form's POST answers.
 */
export function ApprovalPage(props: { page: CallerLinkPage; action: string }) {
  const { page } = props;
  const question = `Do you approve that ${page.technician} acts for ${page.caller} now?`;
  return (
    <Frame title={`${page.desk}: approval for ${page.caller}`}>
      <h1>{page.desk}</h1>
      <p>
        The service desk asks you, as <strong id="caller">{page.caller}</strong>'s manager, to approve a request.
      </p>
      <CallerFacts page={page} forWhom />
      <form method="post" action={props.action}>
        <input type="hidden" name="nonce" value={page.nonce} />
        <p>
          <strong id="question">{question}</strong>
        </p>
        <button type="submit" name="answer" value="approve" class="yes">
          Approve
        </button>
        <button type="submit" name="answer" value="reject" class="no">
          I do not approve / I don't know about this
        </button>
      </form>
      <p class="hint">
        This link works once. Approve only if you know that {page.caller} asked the service desk for help now. If you do not know about it,
        say so: someone may be pretending to be them, and the service desk is told.
      </p>
    </Frame>
  );
}

const DONE: Record<ApprovalOutcome, { title: string; text: string }> = {
  approved: { title: "Thank you: approved", text: "Your approval is recorded and the technician sees it now. You can close this page." },
  rejected: {
    title: "Thank you: not approved",
    text: "Nothing was approved. The service desk has been told that you did not approve or did not know about this request, and it is treated as a possible impostor.",
  },
};

export function ApprovalDonePage(props: { outcome: ApprovalOutcome }) {
  return <AnsweredPage outcome={props.outcome} words={DONE[props.outcome]} />;
}

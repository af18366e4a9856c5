import type { ComponentChildren } from "preact";
import type { CallerLinkPage, CallerOutcome } from "../../services/caller-link.js";

/**
 * The caller's confirmation page: no sign-in, no script, one stylesheet from this origin, readable
 * on a phone. Every value is escaped by preact; the ticket is only a safe-shaped number.
 */
export function Frame(props: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/static/caller/confirm.css" />
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

/**
 * Who is asking, as every caller page shows it: the organisation, the technician, the ticket and,
 * where the tenant shows it, the reason. The manager's page also names the caller (`forWhom`) and
 * always shows the reason line.
 */
export function CallerFacts(props: { page: CallerLinkPage; forWhom?: boolean }) {
  const { page, forWhom = false } = props;
  return (
    <dl class="facts">
      <dt>Organisation</dt>
      <dd id="organisation">{page.organisation}</dd>
      <dt>Technician</dt>
      <dd id="technician">{page.technician}</dd>
      {forWhom ? (
        <>
          <dt>For</dt>
          <dd>{page.caller}</dd>
        </>
      ) : null}
      <dt>Ticket</dt>
      <dd id="ticket">{page.ticket ?? "—"}</dd>
      {page.reason === null && !forWhom ? null : (
        <>
          <dt>Reason</dt>
          <dd id="reason">{page.reason ?? "—"}</dd>
        </>
      )}
    </dl>
  );
}

export function ConfirmPage(props: { page: CallerLinkPage; action: string }) {
  const { page } = props;
  return (
    <Frame title={`${page.desk}: are you on a call?`}>
      <h1>{page.desk}</h1>
      <CallerFacts page={page} />
      <form method="post" action={props.action}>
        <input type="hidden" name="nonce" value={page.nonce} />
        <fieldset>
          <legend>
            <strong>{`Are you on a call with ${page.technician} right now?`}</strong> If you are, pick the number they read out to you.
          </legend>
          <div class="choices">
            {page.choices.map((n) => (
              <label class="choice">
                <input type="radio" name="number" value={n} required />
                <span>{n}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" name="answer" value="yes" class="yes">
          Yes, I picked the number
        </button>
        <button type="submit" name="answer" value="no" class="no" formNoValidate>
          No, this is not me
        </button>
      </form>
      <p class="hint">
        This link works once. If nobody from the service desk is on the phone with you now, tap "No, this is not me": someone may be
        pretending to be you.
      </p>
    </Frame>
  );
}

const DONE: Record<CallerOutcome, { title: string; text: string }> = {
  confirmed: { title: "Thank you: you are verified", text: "Tell the technician you picked the number. You can close this page." },
  wrong_number: {
    title: "That was not the number",
    text: "This check did not pass and the link no longer works. The technician can send you a new link.",
  },
  not_me: {
    title: "Thank you: reported",
    text: "The service desk has been told that this was not you. Nobody has been given access. If someone calls you claiming to be IT, hang up and call your service desk on the number you know.",
  },
};

/** What a caller (or a manager) sees once their answer is recorded: the outcome in words. */
export function AnsweredPage(props: { outcome: string; words: { readonly title: string; readonly text: string } }) {
  return (
    <Frame title={props.words.title}>
      <h1 data-outcome={props.outcome}>{props.words.title}</h1>
      <p>{props.words.text}</p>
    </Frame>
  );
}

export function DonePage(props: { outcome: CallerOutcome }) {
  return <AnsweredPage outcome={props.outcome} words={DONE[props.outcome]} />;
}

/** Used, expired, cancelled, resent, unknown or tampered: one page, one code. */
export function RefusedPage(props: { code: string; message: string }) {
  return (
    <Frame title="This link cannot be used">
      <h1>This link cannot be used</h1>
      <p>{props.message}</p>
      <p class="hint">
        If you are on a call with the service desk, ask them to send you a new link. <span data-code={props.code}>({props.code})</span>
      </p>
    </Frame>
  );
}

import type { CallerLinkPage } from "../../services/caller-link.js";
import type { CallerSigninOutcome } from "../../services/caller-signin.js";
import { AnsweredPage, CallerFacts, Frame } from "./caller-link-page.js";

/**
 * A sign-in link's page: who is asking, and one button. The button is a POST from this page (its
 * nonce, same origin) so a link preview or a mail scanner never starts a sign-in.
 */
export function SigninPage(props: { page: CallerLinkPage; action: string }) {
  const { page } = props;
  return (
    <Frame title={`${page.desk}: confirm it is you`}>
      <h1>{page.desk}</h1>
      <CallerFacts page={page} />
      <form method="post" action={props.action}>
        <input type="hidden" name="nonce" value={page.nonce} />
        <p>
          <strong>{`Sign in to ${page.organisation} to confirm it is you.`}</strong> Use your passkey or security key when asked.
        </p>
        <button type="submit" class="yes" id="signin">
          Sign in
        </button>
      </form>
      <p class="hint">
        {`Only do this if you are on a call with ${page.technician} from the service desk right now. This link works once.`}
      </p>
    </Frame>
  );
}

const DONE: Record<CallerSigninOutcome["outcome"], { title: string; text: string }> = {
  verified: { title: "Thank you: you are verified", text: "Tell the technician you have signed in. You can close this page." },
  not_phishing_resistant: {
    title: "That sign-in was not strong enough",
    text: "Your organisation asks for a passkey or security key here. This check did not pass and the link no longer works; the technician can send you a new one.",
  },
  wrong_user: {
    title: "That was someone else's account",
    text: "The sign-in was not the account the service desk is verifying. Nobody has been given access, and the service desk has been told.",
  },
};

export function SigninDonePage(props: { outcome: CallerSigninOutcome }) {
  return <AnsweredPage outcome={props.outcome.outcome} words={DONE[props.outcome.outcome]} />;
}

/**
 * After the button: on to the provider. A page rather than a redirect because the caller pages'
 * CSP allows forms to post only to this origin (form-action 'self'), and browsers apply that to a
 * form's redirects too; a refresh (and the link, for a browser that ignores it) is a navigation.
 */
export function SigninRedirectPage(props: { url: string; organisation: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <meta http-equiv="refresh" content={`0;url=${props.url}`} />
        <title>Signing in</title>
        <link rel="stylesheet" href="/static/caller/confirm.css" />
      </head>
      <body>
        <main>
          <h1>{`Taking you to ${props.organisation}'s sign-in…`}</h1>
          <p>
            <a id="continue" href={props.url}>
              Continue to sign in
            </a>
          </p>
        </main>
      </body>
    </html>
  );
}

/** A refused answer (a replay, a forged or foreign token, the provider's error): the link is still live. */
export function SigninRetryPage(props: { code: string; message: string }) {
  return (
    <Frame title="The sign-in did not go through">
      <h1>The sign-in did not go through</h1>
      <p>{props.message}</p>
      <p class="hint">
        If you are on a call with the service desk, open the link from your message again and sign in with your passkey or security key.{" "}
        <span data-code={props.code}>({props.code})</span>
      </p>
    </Frame>
  );
}

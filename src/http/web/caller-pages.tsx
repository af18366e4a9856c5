import type { JSX } from "preact";
import type { CallerPageKind } from "../../domain/methods.js";
import type { CallerLinkPage } from "../../services/caller-link.js";
import { ApprovalPage } from "./approval-page.js";
import { ConfirmPage } from "./caller-link-page.js";
import { FaceCheckPage, faceCheckAction } from "./faceid-page.js";
import { SigninPage } from "./caller-signin-page.js";

/** What GET `/c/<ref>` shows for a live link of one kind; `linkRef` is the link's own path segment (`ref` is taken by preact). */
export type CallerPageRenderer = (props: { readonly page: CallerLinkPage; readonly linkRef: string }) => JSX.Element;

/**
 * One page per caller-page kind (issue 12): the confirmation link's number picker, the sign-in
 * button, Face Check's "Open Microsoft Authenticator", the manager's approval. Each kind's module
 * owns its page; this map is the only place the GET route looks.
 */
export const CALLER_PAGES: Readonly<Record<CallerPageKind, CallerPageRenderer>> = {
  link: ({ page, linkRef }) => <ConfirmPage page={page} action={`/c/${linkRef}`} />,
  signin: ({ page, linkRef }) => <SigninPage page={page} action={`/c/${linkRef}/signin`} />,
  faceid: ({ page, linkRef }) => <FaceCheckPage page={page} action={faceCheckAction(linkRef)} />,
  approval: ({ page, linkRef }) => <ApprovalPage page={page} action={`/c/${linkRef}/approval`} />,
};

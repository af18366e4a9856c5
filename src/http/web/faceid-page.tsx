import { renderSVG } from "uqr";
import type { CallerLinkPage } from "../../services/caller-link.js";
import type { FaceCheckStart } from "../../services/face-check.js";
import { CallerFacts, Frame } from "./caller-link-page.js";

/** Where the Face Check page's button posts: `/c/<ref>/verified-id` (routes/caller-faceid.tsx). */
export const faceCheckAction = (ref: string): string => `/c/${ref}/verified-id`;

/**
 * The Face Check caller page: what is about to happen, and one button. Opening the page does
 * nothing (SMS apps and mail scanners open links); the button's POST creates the request.
 */
export function FaceCheckPage(props: { page: CallerLinkPage; action: string }) {
  const { page } = props;
  return (
    <Frame title={`${page.desk}: confirm it is you with Face Check`}>
      <h1>{page.desk}</h1>
      <CallerFacts page={page} />
      <p>
        <strong>{`${page.technician} asked to confirm that you are ${page.caller}.`}</strong> Microsoft Authenticator will ask you to share your
        work credential (VerifiedEmployee) and to take a selfie, which Microsoft compares with the photo in that credential.
      </p>
      <p class="hint">
        The service desk receives only whether it matched and how closely: never your photo, your selfie or your credential. This link works for a
        few minutes.
      </p>
      <form method="post" action={props.action}>
        <input type="hidden" name="nonce" value={page.nonce} />
        <button type="submit" class="yes" id="open-authenticator">
          Open Microsoft Authenticator
        </button>
      </form>
      <p class="hint">If nobody from the service desk is on the phone with you now, do not continue: someone may be pretending to be you.</p>
    </Frame>
  );
}

/** After the button: the wallet link as a button (on the phone) and as a QR code (on a computer). */
export function FaceCheckOpenPage(props: { start: FaceCheckStart }) {
  const { url } = props.start;
  const svg = renderSVG(url, { border: 2, pixelSize: 4 });
  return (
    <Frame title="Continue in Microsoft Authenticator">
      <h1>Continue in Microsoft Authenticator</h1>
      <p>On this phone, tap the button. On a computer, scan the code with the phone that has Microsoft Authenticator.</p>
      <p>
        <a class="button yes" id="wallet-link" href={url}>
          Open in Microsoft Authenticator
        </a>
      </p>
      <p class="qr">
        <img id="wallet-qr" src={`data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`} alt="QR code that opens this request in Microsoft Authenticator" />
      </p>
      <p class="hint">
        Share your credential and take the selfie when the app asks. Then go back to your call: the technician sees the result. If it does not work, open
        the link from your message again.
      </p>
    </Frame>
  );
}

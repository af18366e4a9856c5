import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium (or $VERITY_CHROMIUM); never a downloaded browser. */
export const CHROMIUM = process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium";

/** Why browser tests cannot run here, or false; with VERITY_REQUIRE_BROWSER=1 a missing browser is an error. */
export const browserMissing: string | false = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set VERITY_CHROMIUM)`;
if (browserMissing !== false && process.env.VERITY_REQUIRE_BROWSER === "1") throw new Error(`A browser is required here: ${browserMissing}`);

/** Headless chromium with the flags this machine's closed network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// Takes the screenshots in README.md and docs/ from a real demo server and Debian's chromium:
//   npm run build && node scripts/screenshots.mjs
// It starts the demo in a temporary folder on a free port, signs in with one click, runs a push
// and an SMS verification as a technician would, and writes docs/screenshots/*.png.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "docs", "screenshots");
mkdirSync(out, { recursive: true });

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const base = `http://127.0.0.1:${port}`;
const demo = spawn(process.execPath, [join(root, "dist", "src", "cli", "bin.js"), "demo", "--port", String(port)], {
  cwd: mkdtempSync(join(tmpdir(), "verity-shots-")),
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise((resolve) => demo.stdout.on("data", (chunk) => String(chunk).includes("API token") && resolve()));

const browser = await chromium.launch({
  executablePath: process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const shoot = async (page, name) => {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
};
const inbox = async () => (await fetch(`${base}/demo/api/inbox`)).json();

try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  await page.goto(`${base}/`);
  await shoot(page, "sign-in");
  await page.getByRole("button", { name: "Continue as Demo Technician" }).click();
  await page.waitForURL(`${base}/verify`);
  await page.locator("#q").fill("jane");
  await page.locator("#results li a").first().waitFor();
  await shoot(page, "search");
  await page.locator("#results li a").first().click();
  await page.locator("#start-form").waitFor();
  await page.locator("#ticket").fill("1042");
  await shoot(page, "caller-card");
  await page.getByRole("button", { name: "Start verification" }).click();
  await page.locator(".challenge").waitFor();
  await shoot(page, "push-waiting");
  const challenge = (await page.locator(".challenge").innerText()).trim();
  const prompt = (await inbox()).prompts.find((p) => p.challenge === challenge);
  await fetch(`${base}/demo/api/prompts/${prompt.id}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ decision: "approve", number: challenge }),
  });
  await page.locator(".outcome.verified").waitFor();
  await shoot(page, "verified");

  const phone = await browser.newPage({ viewport: { width: 420, height: 860 } });
  await phone.goto(`${base}/demo/phone`);
  await phone.waitForTimeout(800);
  await shoot(phone, "demo-phone");

  await page.goto(`${base}/history`);
  await shoot(page, "history");
  await page.locator("table a").first().click();
  await page.waitForURL(/\/history\/[0-9a-f-]{36}$/);
  await shoot(page, "history-detail");

  const admin = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const adminPage = await admin.newPage();
  await adminPage.goto(`${base}/signin`);
  await adminPage.getByRole("button", { name: "Continue as Demo Administrator" }).click();
  await adminPage.goto(`${base}/admin/integrations`);
  await shoot(adminPage, "admin-integrations");
} finally {
  await browser.close();
  demo.kill("SIGINT");
}

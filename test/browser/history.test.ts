import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type Page } from "playwright-core";
import { waitFor } from "../helpers/engine.js";
import { TEST_USERS } from "../helpers/fixtures.js";
import { createTestRuntime, ROOMY_LIMITS, type TestRuntime } from "../helpers/runtime.js";
import { listen } from "../helpers/server.js";
import { describeUnless } from "../helpers/skip.js";

const CHROMIUM = process.env.VERITY_CHROMIUM ?? "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set VERITY_CHROMIUM)`;
if (missing !== false && process.env.VERITY_REQUIRE_BROWSER === "1") throw new Error(`A browser is required here: ${missing}`);

/** A technician in a real (headless) browser: verifies a caller, then finds the evidence in history. */
describeUnless("history in a browser", missing, () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let id: string;

  before(async () => {
    t = await createTestRuntime({ overrides: ROOMY_LIMITS, demo: true });
    ({ app, base } = await listen(t.runtime));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  it("signs in to the demo and verifies a caller by text message", async () => {
    await page.goto(`${base}/signin`);
    await page.getByRole("button", { name: "Continue as Demo Technician" }).click();
    await page.waitForURL(`${base}/verify`);
    await page.goto(`${base}/verify?user=${encodeURIComponent(TEST_USERS.jane.upn)}&ticket=T-314`);
    await page.locator('input[name="method"][value="sms"]').check();
    await page.getByRole("button", { name: "Start verification" }).click();
    await page.waitForURL(/\/verify\/[0-9a-f-]{36}$/);
    id = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    await page.fill("#code", await t.codeSentTo(TEST_USERS.jane.mobile));
    await page.getByRole("button", { name: "Check code" }).click();
    await page.locator(".outcome .big", { hasText: "VERIFIED" }).waitFor();
  });

  it("finds it in history and opens its evidence: the audit events and that the chain verifies", async () => {
    await page.getByRole("link", { name: "History" }).click();
    await page.waitForURL(`${base}/history`);
    await page.getByLabel("Caller").fill("jane");
    await page.getByLabel("Outcome").selectOption("verified");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/caller=jane/);
    const row = page.locator("tbody tr").filter({ hasText: "Jane Doe" });
    assert.equal(await row.count(), 1);
    const cells = await row.locator("td").allInnerTexts();
    assert.equal(cells[4], "VERIFIED");
    assert.equal(cells[5], "Demo Technician");
    assert.equal(cells[6], "T-314");

    await row.getByRole("link", { name: /Details of Jane Doe/ }).click();
    await page.waitForURL(`${base}/history/${id}`);
    const events = await page.locator("section[aria-labelledby=events-h] tbody tr").allInnerTexts();
    assert.ok(events.some((e) => e.includes("verification.started")) && events.some((e) => e.includes("check.accepted")), events.join("\n"));
    assert.ok(events.every((e) => e.includes("Demo Technician")));
    // The first view may only start the check; a reload shows its verdict.
    await waitFor(async () => {
      const verdict = await page.locator("section[aria-labelledby=chain-h]").innerText();
      if (/The audit chain verifies/.test(verdict)) return true;
      await page.reload();
      return false;
    });
    assert.match(await page.locator("section[aria-labelledby=chain-h]").innerText(), /The audit chain verifies: all \d+ events/);
  });

  it("downloads the filtered history as CSV", async () => {
    await page.goBack();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download as CSV" }).click()]);
    assert.equal(download.suggestedFilename(), "verity-history.csv");
    const lines = readFileSync(await download.path(), "utf8").trimEnd().split("\r\n");
    assert.match(lines[0] ?? "", /^started_at,ended_at,id,/);
    assert.equal(lines.length, 2);
    const cells = lines[1]?.split(",") ?? [];
    assert.equal(cells[2], id);
    assert.ok(cells.includes("Jane Doe") && cells.includes("VERIFIED") && cells.includes("Demo Technician") && cells.includes("T-314"), lines[1]);
  });
});

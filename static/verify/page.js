"use strict";
// The technician's page for one verification. The capability comes from the link's #fragment
// (never sent to servers or in Referer) and travels in the X-Verity-Link header.
const $ = (id) => document.getElementById(id);
const id = location.pathname.split("/").pop();
const capability = new URLSearchParams(location.hash.slice(1)).get("t") || "";
const api = `/api/v1/link/verifications/${encodeURIComponent(id)}`;
let final = false;

async function call(path, method, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { "x-verity-link": capability, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = await response.json();
  if (response.status === 401) $("invalid").hidden = false;
  return { ok: response.ok, data };
}

function render(page) {
  const v = page.verification;
  final = v.final;
  $("subject").textContent = v.subject.displayName;
  $("method").textContent = v.destination ? `${v.method} to ${v.destination}` : v.method;
  $("state").textContent = v.state.replace("_", " ").toUpperCase() + (v.stateReason ? ` (${v.stateReason.replace(/_/g, " ")})` : "");
  $("checks").textContent = String(v.checks.remaining);
  $("demo").hidden = !v.developmentOnly;
  $("challenge").hidden = v.challenge === null;
  $("challenge").textContent = v.challenge === null ? "" : `Read this number to the caller: ${v.challenge}. ${v.methodKind === "link" ? " They pick it on the page the link opens." : " They choose or type it in their app."}`;
  $("risk").hidden = v.risk.signals.length === 0;
  $("risk").textContent = v.risk.signals.map((s) => `${s.detail} (policy: ${s.action.replace("_", " ")})`).join(" ");
  const open = !v.final;
  const code = v.methodKind === "code" || v.methodKind === "passcode";
  $("code-form").hidden = !(open && code && page.codeHandling === "readback");
  $("confirm").hidden = !(open && code && page.codeHandling === "reveal");
  $("actions").hidden = !open;
  $("resend").hidden = v.methodKind === "passcode";
}

async function refresh() {
  const { ok, data } = await call("", "GET");
  if (ok) render(data);
}

async function act(path, body) {
  const { ok, data } = await call(path, "POST", body);
  $("message").textContent = ok ? (data.outcome ? `Result: ${data.outcome}` : "Done.") : data.message;
  await refresh();
}

$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("code").value;
  $("code").value = "";
  void act("/check", { code });
});
$("match").addEventListener("click", () => void act("/confirm", { matched: true }));
$("mismatch").addEventListener("click", () => void act("/confirm", { matched: false }));
$("resend").addEventListener("click", () => void act("/resend"));
$("cancel").addEventListener("click", () => void act("/cancel", { reason: "cancelled from the verification page" }));

void refresh();
setInterval(() => {
  if (!final) void refresh();
}, 1500);

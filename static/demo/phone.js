"use strict";
// DEMO phone: polls the demo API and renders with textContent only (message text is untrusted).
const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

// A confirmation link in a message is made clickable, and only one to this demo's own /c/ page;
// everything else stays text.
const CONFIRM_LINK = /(https?:\/\/[^\s]+\/c\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{22})/;
function messageText(text) {
  const node = el("div", "text");
  for (const part of text.split(CONFIRM_LINK)) {
    let url = null;
    try {
      url = CONFIRM_LINK.test(part) ? new URL(part) : null;
    } catch {
      url = null;
    }
    const local = url !== null && (url.origin === location.origin || (["127.0.0.1", "localhost"].includes(url.hostname) && url.port === location.port));
    if (local) {
      const a = el("a", "confirm-link", part);
      a.href = url.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      node.append(a);
    } else node.append(document.createTextNode(part));
  }
  return node;
}

function renderMessages(messages) {
  const list = $("messages");
  list.replaceChildren();
  if (messages.length === 0) list.append(el("li", "empty", "No messages yet."));
  for (const m of messages) {
    const item = el("li", "message");
    item.dataset.verification = m.verificationId;
    const when = new Date(m.at).toLocaleTimeString();
    item.append(el("div", "meta", `${m.channel.toUpperCase()} to ${m.toMasked} · ${when}`));
    if (m.channel === "email") item.append(el("div", "meta", `Subject: ${m.subject}`));
    item.append(messageText(m.text));
    list.append(item);
  }
}

function renderPrompts(prompts) {
  const list = $("prompts");
  list.replaceChildren();
  if (prompts.length === 0) list.append(el("li", "empty", "No prompts waiting."));
  for (const p of prompts) {
    const item = el("li", "prompt");
    item.dataset.prompt = p.id;
    item.append(el("div", "title", p.title));
    item.append(el("div", "meta", `For ${p.displayName} (${p.providerUserId})`));
    item.append(el("p", "text", p.message));
    item.append(el("div", "meta", "Tap the number the service desk reads to you:"));
    const choices = el("div", "choices");
    for (const number of p.choices) {
      const button = el("button", "choice", number);
      button.type = "button";
      button.setAttribute("aria-label", `Approve with number ${number}`);
      button.addEventListener("click", () => answer(p.id, { decision: "approve", number }));
      choices.append(button);
    }
    item.append(choices);
    const deny = el("button", "deny", "Deny");
    deny.type = "button";
    deny.addEventListener("click", () => answer(p.id, { decision: "deny" }));
    const fraud = el("button", "deny", "Report fraud");
    fraud.type = "button";
    fraud.addEventListener("click", () => answer(p.id, { decision: "fraud" }));
    item.append(deny, document.createTextNode(" "), fraud);
    list.append(item);
  }
}

// The simulated wallet: each button makes the simulated Request Service send its real callback.
const WALLET_ACTIONS = [
  ["match", "Present the credential: face matches (score 92)"],
  ["no-match", "Face does not match"],
  ["someone-else", "Present someone else's credential"],
];
function renderPresentations(presentations) {
  const list = $("presentations");
  list.replaceChildren();
  if (presentations.length === 0) list.append(el("li", "empty", "No credential requests waiting."));
  for (const p of presentations) {
    const item = el("li", "prompt");
    item.dataset.presentation = p.id;
    item.append(el("div", "title", `${p.clientName} asks for your VerifiedEmployee credential with Face Check`));
    if (p.for) item.append(el("div", "meta", `For ${p.for} · match threshold ${p.threshold}`));
    if (p.purpose) item.append(el("p", "text", p.purpose));
    item.append(el("div", "meta", p.status === "retrieved" ? "Opened in the app." : "Waiting for the caller to open it."));
    const choices = el("div", "choices");
    for (const [action, label] of WALLET_ACTIONS) {
      const button = el("button", action === "match" ? "choice" : "deny", label);
      button.type = "button";
      button.dataset.action = action;
      button.addEventListener("click", () => presentCredential(p.id, action, label));
      choices.append(button);
    }
    item.append(choices);
    list.append(item);
  }
}

async function presentCredential(id, action, label) {
  const result = await post(`/demo/api/presentations/${encodeURIComponent(id)}`, { action });
  $("status").textContent = result.result ? `Presented: ${label}` : result.message;
  await refresh();
}

async function answer(id, body) {
  const result = await post(`/demo/api/prompts/${encodeURIComponent(id)}`, body);
  $("status").textContent = `Answered: ${result.result ?? result.message}`;
  await refresh();
}

let lastPrompts = "";
let lastPresentations = "";
async function refresh() {
  try {
    const response = await fetch("/demo/api/inbox", { cache: "no-store" });
    const data = await response.json();
    renderMessages(data.messages);
    const key = JSON.stringify(data.prompts.map((p) => p.id));
    if (key !== lastPrompts) {
      renderPrompts(data.prompts);
      lastPrompts = key;
    }
    const presentations = data.presentations ?? [];
    const presentationKey = JSON.stringify(presentations.map((p) => [p.id, p.status]));
    if (presentationKey !== lastPresentations) {
      renderPresentations(presentations);
      lastPresentations = presentationKey;
    }
    $("status").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch {
    $("status").textContent = "Cannot reach the demo server.";
  }
}

$("passcode-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const user = $("passcode-user").value.trim();
  const response = await fetch(`/demo/api/passcode?user=${encodeURIComponent(user)}`, { cache: "no-store" });
  const data = await response.json();
  $("passcode").textContent = data.passcode ?? data.message;
});

refresh();
setInterval(refresh, 1000);

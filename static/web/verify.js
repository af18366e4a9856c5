// Verity's verify screen, enhanced: results as the technician types, the live status without a
// reload, the code checked without leaving the page, and a countdown. Every feature also works
// without this script (plain forms and links). No inline script: the CSP allows only this file.
"use strict";

(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // ---- search as you type ---------------------------------------------------------------
  var q = document.getElementById("q");
  var results = document.getElementById("results");
  var status = document.getElementById("search-status");
  if (q && results && status) {
    var form = document.getElementById("search-form");
    var carry = {};
    ["ticket", "reason"].forEach(function (name) {
      var field = form && form.querySelector('input[name="' + name + '"]');
      if (field && field.value) carry[name] = field.value;
    });
    var timer = null;
    var asked = 0;
    var render = function (body) {
      results.textContent = "";
      body.matches.forEach(function (m) {
        var params = new URLSearchParams({ user: m.id, tenant: m.tenant.id });
        Object.keys(carry).forEach(function (k) { params.set(k, carry[k]); });
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "/verify?" + params.toString();
        var name = document.createElement("strong");
        name.textContent = m.displayName;
        var sub = document.createElement("span");
        sub.className = "sub";
        sub.textContent = " " + m.upn + " · " + m.tenant.name;
        a.appendChild(name);
        a.appendChild(sub);
        li.appendChild(a);
        results.appendChild(li);
      });
      var notes = body.unavailable.map(function (u) { return u.tenant + ": " + u.reason; });
      status.textContent = (body.matches.length === 0 ? "No caller matches." : body.matches.length + " found. Press the down arrow to choose.") + (notes.length ? " " + notes.join(" ") : "");
    };
    var search = function () {
      var text = q.value.trim();
      var ticket = ++asked;
      if (text.length < 2) {
        results.textContent = "";
        status.textContent = "";
        return;
      }
      fetch("/api/v1/directory/search?q=" + encodeURIComponent(text), { headers: { accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { if (body && ticket === asked) render(body); })
        .catch(function () { status.textContent = "Search is not answering; press Enter to search."; });
    };
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    var links = function () { return Array.prototype.slice.call(results.querySelectorAll("a")); };
    q.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && links().length > 0) {
        event.preventDefault();
        links()[0].focus();
      }
    });
    results.addEventListener("keydown", function (event) {
      var all = links();
      var at = all.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at < all.length - 1) { event.preventDefault(); all[at + 1].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? all[at - 1] : q).focus(); }
    });
  }

  // ---- the live panel ---------------------------------------------------------------------
  var panel = function () { return document.getElementById("panel"); };
  var refresh = function (query) {
    var current = panel();
    if (!current) return Promise.resolve();
    var id = current.getAttribute("data-id");
    var hadFocus = document.activeElement && document.activeElement.id === "code";
    return fetch("/verify/" + id + "/panel" + (query ? "?" + query : ""), { headers: { accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var holder = document.createElement("div");
        holder.innerHTML = html; // server-rendered, every value escaped by the server
        var fresh = holder.firstElementChild;
        var old = panel();
        if (!fresh || !old) return;
        old.replaceWith(fresh);
        wire();
        var code = document.getElementById("code");
        if (code && (hadFocus || query)) code.focus();
        else if (fresh.getAttribute("data-final") === "true") {
          var outcome = fresh.querySelector(".outcome");
          if (outcome) { outcome.setAttribute("tabindex", "-1"); outcome.focus(); }
        }
      });
  };

  var stream = null;
  var follow = function () {
    var current = panel();
    if (!current || current.getAttribute("data-final") === "true" || stream !== null || typeof EventSource === "undefined") return;
    stream = new EventSource("/api/v1/verifications/" + current.getAttribute("data-id") + "/events");
    var signature = function (v) { return [v.state, v.checks.used, v.sends, v.challenge === null ? "" : v.challenge, v.stateReason === null ? "" : v.stateReason].join("|"); };
    stream.addEventListener("state", function (event) {
      var view = JSON.parse(event.data);
      var shown = panel();
      if (shown && shown.getAttribute("data-sig") === signature(view)) return;
      refresh("").then(function () {
        if (view.final) { stream.close(); stream = null; }
      });
    });
  };

  var wire = function () {
    var codeForm = document.getElementById("code-form");
    if (codeForm && !codeForm.dataset.wired) {
      codeForm.dataset.wired = "1";
      codeForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var id = codeForm.getAttribute("data-id");
        var code = document.getElementById("code").value;
        fetch("/api/v1/verifications/" + id + "/check", {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf, accept: "application/json" },
          body: JSON.stringify({ code: code }),
        })
          .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
          .then(function (r) {
            if (r.ok) return refresh("");
            return refresh("error=" + encodeURIComponent(r.body.code || "INTERNAL_ERROR"));
          })
          .catch(function () { codeForm.submit(); });
      });
    }
    tick();
  };

  var tick = function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-expires]"), function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-expires")) - Date.now()) / 1000);
      if (left <= 0) { el.textContent = "now (expired)"; return; }
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      el.textContent = "in " + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    });
  };

  if (panel()) {
    wire();
    follow();
    setInterval(tick, 1000);
  }
})();

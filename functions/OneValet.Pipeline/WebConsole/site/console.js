// The privacy office's console (issue 19): plain JavaScript, no build step, nothing third-party. It holds no rule of its
// own: every figure and every refusal comes from the API, called with the signed-in caller's bearer token. The token
// lives in sessionStorage (gone when the tab closes); nothing else is stored in the browser.
"use strict";

(() => {
  const TOKEN_KEY = "onevalet.console.token";
  const PKCE_KEY = "onevalet.console.pkce";
  const DAY_MS = 86400000;
  const POLL_MS = 2000;

  const $ = (id) => document.getElementById(id);
  const state = { config: null, token: null, claims: null, roles: [], buildings: [], requests: [], pollTimer: null, selectedTask: null, selectedRequest: null, recordingsContinuation: null };

  // ---------- small helpers ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function day(iso) {
    return iso ? new Date(iso).toISOString().slice(0, 10) : "—";
  }

  function count(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function say(text) {
    $("status").textContent = text;
  }

  function showError(text, box) {
    const target = box || $("error");
    target.textContent = text;
    target.hidden = !text;
  }

  function fill(tbody, rows, columns, empty) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      tbody.append(el("tr", {}, el("td", { colspan: columns, class: "empty", text: empty })));
    }
    for (const row of rows) tbody.append(row);
  }

  function cells(values) {
    return values.map((v) => (v instanceof Node ? el("td", {}, v) : el("td", { text: v ?? "—" })));
  }

  function utcDayStart(offsetDays) {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + offsetDays * DAY_MS);
  }

  function localInputToIso(value) {
    // datetime-local inputs are read as UTC: the form's labels say so.
    return value ? new Date(value + ":00Z").toISOString() : null;
  }

  function list(text) {
    return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  }

  // A refusal shown in a form's alert region (box) marks the fields its reason names (aria-invalid, described by the
  // alert); fields: [[pattern, id], ...]. Called with no refusal, it clears the marks.
  function flagFields(box, fields) {
    const reason = box.hidden ? "" : box.textContent;
    for (const [pattern, id] of fields) {
      if (reason && pattern.test(reason)) {
        $(id).setAttribute("aria-invalid", "true");
        $(id).setAttribute("aria-describedby", box.id);
      } else {
        $(id).removeAttribute("aria-invalid");
        $(id).removeAttribute("aria-describedby");
      }
    }
  }

  // ---------- the API ----------
  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch("/api/" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", credentials: "omit" });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!response.ok) {
      if (response.status === 401) signOut("Your session ended: sign in again.");
      throw new ApiError(response.status, (json && (json.detail || json.title)) || ("The API answered " + response.status + "."));
    }
    return json;
  }

  // Runs a call to the API; a refusal is shown with the API's problem detail and status, in the page's alert region or in
  // the alert region of the form that made the call (box), next to the fields it is about.
  async function guarded(work, box) {
    try {
      showError("");
      if (box) showError("", box);
      return await work();
    } catch (e) {
      showError(e instanceof ApiError ? `${e.message} (HTTP ${e.status})` : "Something went wrong: " + e.message, box);
      return undefined;
    }
  }

  // ---------- sign-in ----------
  function decodeClaims(token) {
    const part = token.split(".")[1] || "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    return JSON.parse(json);
  }

  function asList(value) {
    if (Array.isArray(value)) return value;
    return value ? [value] : [];
  }

  function adopt(token) {
    state.token = token;
    state.claims = decodeClaims(token);
    state.roles = asList(state.claims.roles);
    state.buildings = asList(state.claims.building_ids);
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(PKCE_KEY);
    state.token = null;
    state.claims = null;
    state.roles = [];
    state.buildings = [];
    stopPolling();
    $("nav").hidden = true;
    $("who").hidden = true;
    location.hash = "";
    show("sign-in");
    if (message) say(message);
  }

  async function devSignIn(event) {
    event.preventDefault();
    const role = $("dev-role").value;
    const body = { role, subjectId: role === "privacy-officer" ? "console-officer" : "console-manager" };
    if (role === "property-manager") body.buildingIds = list($("dev-buildings").value);
    const answer = await guarded(() => api("POST", "dev/tokens", body));
    if (answer && answer.token) {
      adopt(answer.token);
      signedIn();
    }
  }

  function base64Url(bytes) {
    let s = "";
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function redirectUri() {
    return location.origin + "/api/console";
  }

  // Entra ID, authorization code with PKCE (RFC 7636), written out: a verifier, its S256 challenge, a state checked on
  // the way back; the code is redeemed at the token endpoint (Entra allows that cross-origin for a single-page app).
  async function entraSignIn() {
    const c = state.config;
    const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = base64Url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    const stateValue = base64Url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state: stateValue }));
    const query = new URLSearchParams({
      client_id: c.clientId,
      response_type: "code",
      redirect_uri: redirectUri(),
      response_mode: "query",
      scope: c.scope,
      state: stateValue,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    location.assign(c.authority + "/authorize?" + query.toString());
  }

  async function completeEntraSignIn(params) {
    const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
    sessionStorage.removeItem(PKCE_KEY);
    history.replaceState(null, "", location.pathname);
    if (!pending || params.get("state") !== pending.state) {
      showError("The sign-in answer did not match the sign-in this page started; sign in again.");
      return;
    }

    const c = state.config;
    const response = await fetch(c.authority + "/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: c.clientId, grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri(), code_verifier: pending.verifier, scope: c.scope }),
      credentials: "omit",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || !answer.access_token) {
      showError("Entra ID did not issue a token: " + (answer.error_description || answer.error || response.status));
      return;
    }

    adopt(answer.access_token);
    signedIn();
  }

  function signedIn() {
    const officer = state.roles.includes("privacy-officer");
    const manager = state.roles.includes("property-manager");
    for (const item of document.querySelectorAll("#nav li")) {
      item.hidden = !state.roles.includes(item.dataset.role);
    }
    $("nav").hidden = !officer && !manager;
    $("who").hidden = false;
    $("who-text").textContent = "Signed in as " + (officer ? "privacy officer" : manager ? "property manager of " + (state.buildings.join(", ") || "no building") : state.roles.join(", "));
    for (const id of ["corrections-building", "devices-building"]) {
      $(id).replaceChildren(...state.buildings.map((b) => el("option", { value: b, text: b })));
    }
    route(location.hash || (officer ? "#requests" : "#corrections"));
  }

  // ---------- navigation ----------
  const views = ["sign-in", "requests", "holds", "breaches", "deletions", "report", "dead-letters", "disclosures", "recordings", "corrections", "devices"];

  // A view is offered to the roles its navigation link names (index.html); sign-in to everyone.
  function offered(name) {
    const link = document.querySelector(`#nav a[href="#${name}"]`);
    return !!link && state.roles.includes(link.parentElement.dataset.role);
  }

  function show(name) {
    for (const v of views) $("view-" + v).hidden = v !== name;
    for (const a of document.querySelectorAll("#nav a")) {
      if (a.getAttribute("href") === "#" + name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  function focusHeading(name) {
    const heading = $("view-" + name).querySelector("h1");
    if (heading) heading.focus();
  }

  async function route(hash) {
    if (!state.token) {
      show("sign-in");
      return;
    }

    const [name, asked] = hash.replace(/^#/, "").split("/");
    const target = offered(name) ? name : offered("requests") ? "requests" : offered("corrections") ? "corrections" : null;
    const argument = target === name ? asked : undefined;
    stopPolling();
    if (!target) {
      // A role with no view here (a resident, a device): nothing is loaded, the alert says why.
      show(null);
      history.replaceState(null, "", location.pathname);
      showError("This console is for the privacy office and property managers; your role has no view here.");
      return;
    }
    if (location.hash !== "#" + [target, argument].filter(Boolean).join("/")) {
      history.replaceState(null, "", "#" + [target, argument].filter(Boolean).join("/"));
    }
    show(target);
    document.title = $("view-" + target).querySelector("h1").textContent + " · OneValet privacy office";
    focusHeading(target);
    showError("");
    const loaders = { requests: () => loadRequests(argument), holds: loadHolds, breaches: loadBreaches, deletions: loadDeletions, report: loadReport, "dead-letters": loadDeadLetters, disclosures: loadDisclosures, recordings: () => loadRecordings(false), corrections: () => loadCorrections(argument), devices: () => loadDevices(argument) };
    await guarded(loaders[target]);
  }

  // ---------- requests ----------
  async function loadRequests(open) {
    say("Loading requests…");
    const items = [];
    let continuation = null;
    do {
      const page = await api("GET", "open-requests?pageSize=1000" + (continuation ? "&continuation=" + encodeURIComponent(continuation) : ""));
      items.push(...page.items);
      continuation = page.continuation;
    } while (continuation);
    state.requests = items;
    for (const [id, key] of [["filter-type", "type"], ["filter-jurisdiction", "jurisdiction"], ["filter-status", "status"]]) {
      const select = $(id);
      const chosen = select.value;
      const values = [...new Set(items.map((r) => r[key]))].sort();
      select.replaceChildren(select.options[0], ...values.map((v) => el("option", { value: v, text: v })));
      select.value = values.includes(chosen) ? chosen : "";
    }
    renderRequests();
    say(`${count(items.length, "open request", "open requests")} loaded.`);
    if (open) await openRequest(open);
  }

  function renderRequests() {
    const type = $("filter-type").value;
    const jurisdiction = $("filter-jurisdiction").value;
    const status = $("filter-status").value;
    const now = Date.now();
    const shown = state.requests.filter((r) => (!type || r.type === type) && (!jurisdiction || r.jurisdiction === jurisdiction) && (!status || r.status === status));
    const rows = shown.map((r) => {
      const left = Math.ceil((new Date(r.effectiveDueAt).getTime() - now) / DAY_MS);
      const open = el("button", { type: "button", class: "link", "data-request": r.requestId, onclick: () => guarded(() => openRequest(r.requestId)) }, r.requestId);
      const leftCell = r.overdue ? el("span", {}, el("span", { class: "badge danger", text: "overdue" }), " " + Math.abs(left) + " days late") : left + " days";
      return el("tr", { class: r.overdue ? "overdue" : null }, ...cells([open, r.type, r.jurisdiction + (r.province ? " (" + r.province + ")" : ""), r.status, day(r.receivedAt), day(r.effectiveDueAt), leftCell, r.extendedDueAt ? "extended to " + day(r.extendedDueAt) : "no"]));
    });
    fill($("requests-table").tBodies[0], rows, 8, "No open request matches.");
    $("requests-count").textContent = `${shown.length} of ${state.requests.length} open requests shown.`;
  }

  async function openRequest(requestId) {
    const status = await api("GET", "privacy-requests/" + encodeURIComponent(requestId));
    const r = status.request;
    state.selectedRequest = r;
    const panel = $("request-detail");
    panel.hidden = false;
    $("request-detail-title").textContent = "Request " + r.requestId;
    const facts = [["Type", r.type], ["Jurisdiction", r.jurisdiction + (r.province ? " (" + r.province + ")" : "")], ["Channel", r.channel], ["Status", r.status], ["Received", when(r.receivedAt)], ["Acknowledge by", when(r.acknowledgeBy)], ["Due", when(r.dueAt)], ["Extended to", r.extendedDueAt ? when(r.extendedDueAt) : "not extended"]];
    if (r.extensionReason) facts.push(["Extension reason", r.extensionReason]);
    const closed = ["completed", "denied", "unverified"].includes(r.status);
    const p = r.notOnFile;
    if (p) {
      // What a person not on file gave: how the office reaches them (while the request is open) and how their data is found.
      facts.push(["Requester", `not on file: ${p.relationship}, building ${p.buildingId}${p.doorId ? ", door " + p.doorId : ""}`]);
      if (p.from) facts.push(["There", `${when(p.from)} to ${when(p.to)}`]);
      if (!closed && p.email) facts.push(["Contact", p.email]);
    }
    const check = r.manualVerification;
    if (check) {
      facts.push(["Verified by the office", `${check.verified ? "verified" : "not verified"} by ${check.by}, ${when(check.at)}, ${methodName(check.method)}`]);
    }
    $("request-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    $("request-steps").replaceChildren(...(r.steps || []).map((s) => el("li", {}, `${s.name}: ${s.status} (${when(s.at)})`)));
    $("extension-form").hidden = closed || !!r.extendedDueAt;
    $("officer-correction-form").hidden = !(r.type === "correction" && r.status === "awaiting-property-management");
    $("manual-verification-form").hidden = !waitsForTheOffice(r);
    showError("", $("manual-verification-error"));
    flagFields($("manual-verification-error"), MANUAL_FIELDS);
    history.replaceState(null, "", "#requests/" + encodeURIComponent(r.requestId));
    $("request-detail-title").focus();
  }

  // The manual verification (O10) is offered to the privacy officer only, and only while the request's workflow waits for
  // it (the step manual-verification / waiting-for-privacy-office, no check recorded yet). The API decides again.
  function waitsForTheOffice(r) {
    return state.roles.includes("privacy-officer") && r.status === "awaiting-verification" && !r.manualVerification
      && (r.steps || []).some((s) => s.name === "manual-verification" && s.status === "waiting-for-privacy-office");
  }

  const MANUAL_FIELDS = [[/note/i, "manual-note"]];

  function methodName(method) {
    const option = [...$("manual-method").options].find((o) => o.value === method);
    return option ? option.textContent : method;
  }

  async function verifyManually(event) {
    event.preventDefault();
    const r = state.selectedRequest;
    const box = $("manual-verification-error");
    const body = { outcome: $("manual-outcome").value, method: $("manual-method").value, note: $("manual-note").value.trim() || null };
    const record = await guarded(() => api("POST", "privacy-requests/" + encodeURIComponent(r.requestId) + "/manual-verification", body), box);
    // The API's reason is in the form's alert; the note is marked when the reason is about it.
    flagFields(box, MANUAL_FIELDS);
    if (!record) return;
    $("manual-verification-form").reset();
    await guarded(() => loadRequests(r.requestId));
    say(record.manualVerification.verified ? "Verification recorded: the request goes on." : "Recorded as not verified: the request closes unverified and the requester is told.");
  }

  // A person not on file (O8-O10, README "Who can ask"): the office files for them with what they gave; the API checks it
  // (a refusal's reason in the form's alert, the fields it names marked) and the new request opens once the queue lists it.
  const NOT_ON_FILE_FIELDS = [[/email/i, "nof-email"], [/relationship/i, "nof-relationship"], [/building|door/i, "nof-building"], [/door/i, "nof-door"], [/'from'|'to'|window/i, "nof-from"], [/'to'|window/i, "nof-to"], [/description/i, "nof-description"], [/type|person not on file may ask/i, "nof-type"], [/jurisdiction|province/i, "nof-jurisdiction"]];

  async function fileNotOnFile(event) {
    event.preventDefault();
    const box = $("not-on-file-error");
    const text = (id) => $(id).value.trim() || null;
    const body = {
      type: $("nof-type").value,
      jurisdiction: $("nof-jurisdiction").value,
      channel: $("nof-channel").value,
      notOnFile: { email: text("nof-email"), relationship: $("nof-relationship").value, buildingId: text("nof-building"), doorId: text("nof-door"), from: localInputToIso($("nof-from").value), to: localInputToIso($("nof-to").value), description: text("nof-description") },
    };
    const accepted = await guarded(() => api("POST", "privacy-requests", body), box);
    flagFields(box, NOT_ON_FILE_FIELDS);
    if (!accepted) return;
    $("not-on-file-form").reset();
    say("Request " + accepted.requestId + " filed: it waits for the office to verify the requester.");
    await until(loadRequests, () => state.requests.some((r) => r.requestId === accepted.requestId));
    await guarded(() => openRequest(accepted.requestId));
  }

  async function extend(event) {
    event.preventDefault();
    const r = state.selectedRequest;
    const done = await guarded(() => api("POST", "privacy-requests/" + encodeURIComponent(r.requestId) + "/extension", { reason: $("extension-reason").value }));
    if (done) {
      $("extension-reason").value = "";
      say("Extended: the requester is told the new due date and the reason.");
      await guarded(loadRequests);
      await guarded(() => openRequest(r.requestId));
    }
  }

  async function answerCorrection(requestId, outcome, note) {
    return guarded(() => api("POST", "privacy-requests/" + encodeURIComponent(requestId) + "/correction-outcome", { outcome, note: note || null }));
  }

  async function officerCorrection(event) {
    event.preventDefault();
    const r = state.selectedRequest;
    if (await answerCorrection(r.requestId, $("officer-outcome").value, $("officer-note").value)) {
      say("Correction outcome sent to the request's workflow.");
      await untilAnswered(r.requestId, loadRequests, () => state.requests.filter((q) => q.status === "awaiting-property-management").map((q) => q.requestId));
      $("request-detail").hidden = true;
      $("requests-title").focus();
    }
  }

  // ---------- holds ----------
  function scopeText(scope) {
    if (scope.subjectId) return "resident " + scope.subjectId;
    if (scope.buildingId) return `building ${scope.buildingId}, ${day(scope.from)} to ${day(scope.to)}`;
    return (scope.items || []).length + " listed items";
  }

  async function loadHolds() {
    say("Loading holds…");
    const holds = await api("GET", "holds");
    const reviews = await api("GET", "hold-reviews?withinDays=7");
    const dueSoon = new Set(reviews.items.map((h) => h.holdId));
    holds.sort((a, b) => new Date(a.reviewBy) - new Date(b.reviewBy));
    const rows = holds.map((h) => {
      const overdueReview = new Date(h.reviewBy).getTime() < Date.now();
      const review = el("span", {}, day(h.reviewBy), dueSoon.has(h.holdId) ? el("span", { class: "badge danger", text: overdueReview ? " review overdue" : " review due" }) : null);
      const release = el("button", { type: "button", class: "secondary", "data-release": h.holdId, "aria-label": "Release hold " + h.holdId, onclick: () => releaseHold(h.holdId) }, "Release");
      return el("tr", { "data-hold": h.holdId }, ...cells([h.holdId, h.reason, scopeText(h.scope), h.owner, day(h.placedAt), review, String(h.itemsHeld ?? 0), release]));
    });
    fill($("holds-table").tBodies[0], rows, 8, "No active hold.");
    say(`${count(holds.length, "active hold", "active holds")}; ${dueSoon.size} due for review within 7 days.`);
  }

  async function placeHold(event) {
    event.preventDefault();
    const subject = $("hold-subject").value.trim();
    const building = $("hold-building").value.trim();
    const scope = subject ? { subjectId: subject } : { buildingId: building || null, from: $("hold-from").value ? $("hold-from").value + "T00:00:00Z" : null, to: $("hold-to").value ? $("hold-to").value + "T00:00:00Z" : null };
    const body = { reason: $("hold-reason").value, scope, owner: $("hold-owner").value, reviewBy: $("hold-review").value + "T00:00:00Z", note: $("hold-note").value || null };
    const hold = await guarded(() => api("POST", "holds", body));
    if (hold) {
      $("hold-form").reset();
      await guarded(loadHolds);
      say("Hold " + hold.holdId + " placed.");
    }
  }

  async function releaseHold(holdId) {
    const reason = $("release-reason").value;
    const released = await guarded(() => api("DELETE", "holds/" + encodeURIComponent(holdId) + "?reason=" + encodeURIComponent(reason)));
    if (released) {
      await guarded(loadHolds);
      say("Hold " + holdId + " released (" + reason + "): what it kept past its deadline is deleted within moments.");
      $("holds-title").focus();
    }
  }

  // ---------- breaches ----------
  function stopPolling() {
    if (state.pollTimer) clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  async function loadBreaches() {
    const items = [];
    let continuation = null;
    do {
      const page = await api("GET", "incidents?pageSize=100" + (continuation ? "&continuation=" + encodeURIComponent(continuation) : ""));
      items.push(...page.items);
      continuation = page.continuation;
    } while (continuation);
    const rows = items.map((s) => {
      const i = s.incident;
      const handled = s.sent + s.bounced + s.skipped;
      const progress = el("progress", { max: Math.max(1, s.affected), value: handled, "aria-label": `Incident ${i.incidentId}: ${handled} of ${s.affected} handled` });
      const deadline = el("span", {}, day(i.deadline), " ", s.deadlineMet ? el("span", { class: "badge ok", text: "met" }) : new Date(i.deadline) < new Date() ? el("span", { class: "badge danger", text: "missed" }) : null);
      const escalation = i.escalatedAt ? "escalated " + when(i.escalatedAt) : (s.pending + s.bounced + s.skipped > 0 ? "at " + when(s.escalateAt) : "not needed");
      return el("tr", { "data-incident": i.incidentId }, ...cells([i.incidentId, when(i.declaredAt), i.buildings.join(", "), String(s.affected), String(s.sent), String(s.bounced), String(s.skipped), String(s.pending), progress, deadline, escalation]));
    });
    fill($("incidents-table").tBodies[0], rows, 11, "No incident declared.");
    const running = items.some((s) => !s.incident.fannedOut || s.pending > 0);
    say(running ? "A campaign is running: the figures update every few seconds." : `${count(items.length, "incident", "incidents")}.`);
    if (running && !$("view-breaches").hidden) {
      state.pollTimer = setTimeout(() => guarded(loadBreaches), POLL_MS);
    }
  }

  async function declareIncident(event) {
    event.preventDefault();
    const body = {
      discoveredAt: localInputToIso($("incident-discovered").value),
      buildings: list($("incident-buildings").value),
      dataCategories: list($("incident-categories").value),
      windowFrom: localInputToIso($("incident-from").value),
      windowTo: localInputToIso($("incident-to").value),
      description: $("incident-description").value,
    };
    const incident = await guarded(() => api("POST", "incidents", body));
    if (incident) {
      $("incident-form").reset();
      say("Incident " + incident.incidentId + " declared; deadline " + day(incident.deadline) + ".");
      stopPolling();
      await guarded(loadBreaches);
    }
  }

  // ---------- deletions ----------
  function lagUnit(maxSeconds) {
    if (maxSeconds < 120) return { name: "s", seconds: 1 };
    if (maxSeconds < 7200) return { name: "min", seconds: 60 };
    return { name: "h", seconds: 3600 };
  }

  function lagChart(points) {
    // points: [{ day, seconds }], one bar per day: above the axis late (red), at or below it on time (green).
    const width = 720, height = 220, left = 56, bottom = 28, top = 12;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const ns = (tag, attrs, text) => {
      const n = document.createElementNS("http://www.w3.org/2000/svg", tag);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
      if (text !== undefined) n.textContent = text;
      return n;
    };
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", "lag-caption lag-summary");
    const unit = lagUnit(Math.max(1, ...points.map((p) => Math.abs(p.seconds))));
    const max = Math.max(1, ...points.map((p) => Math.abs(p.seconds) / unit.seconds));
    const plot = height - bottom - top;
    const zero = top + plot / 2;
    const scale = plot / 2 / max;
    svg.append(ns("line", { x1: left, y1: zero, x2: width - 8, y2: zero, class: "axis" }));
    svg.append(ns("line", { x1: left, y1: top, x2: left, y2: height - bottom, class: "axis" }));
    svg.append(ns("text", { x: 4, y: top + 10 }, `+${max.toFixed(1)} ${unit.name}`));
    svg.append(ns("text", { x: 4, y: zero + 4 }, `0 ${unit.name}`));
    svg.append(ns("text", { x: 4, y: height - bottom }, `−${max.toFixed(1)} ${unit.name}`));
    const slot = (width - left - 16) / Math.max(1, points.length);
    points.forEach((p, i) => {
      const value = p.seconds / unit.seconds;
      const h = Math.max(1, Math.abs(value) * scale);
      const x = left + 4 + i * slot;
      const bar = ns("rect", { x, y: value > 0 ? zero - h : zero, width: Math.min(48, Math.max(2, slot - 3)), height: h, class: value > 0 ? "bar-late" : "bar-ok" });
      bar.append(ns("title", {}, `${p.day}: ${value.toFixed(1)} ${unit.name}`));
      svg.append(bar);
      if (points.length <= 16 || i % Math.ceil(points.length / 8) === 0) {
        svg.append(ns("text", { x, y: height - 8 }, p.day.slice(5)));
      }
    });
    return svg;
  }

  function deletionItems(report) {
    const items = [];
    for (const line of report.lines.filter((l) => l.measure === "lag")) {
      for (const item of line.items) items.push({ ...item, line: line.id });
    }
    return items;
  }

  async function loadDeletions() {
    say("Loading deletions…");
    const from = utcDayStart(-30), to = utcDayStart(1);
    const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
    const report = await api("GET", "compliance-report?" + range);
    const items = deletionItems(report);
    $("deletions-period").textContent = `Deletions due from ${day(from.toISOString())} to ${day(to.toISOString())} (exclusive), ${items.length} items.`;
    const byDay = new Map();
    for (const item of items.filter((i) => i.lagSeconds !== null && i.lagSeconds !== undefined)) {
      const d = day(item.dueAt);
      byDay.set(d, byDay.has(d) ? Math.max(byDay.get(d), item.lagSeconds) : item.lagSeconds);
    }
    const points = [...byDay.entries()].sort().map(([d, seconds]) => ({ day: d, seconds }));
    const chart = $("lag-chart");
    const late = points.filter((p) => p.seconds > 0).length;
    const summary = el("p", { id: "lag-summary", class: "hint", text: points.length === 0 ? "No deletion was done in the period." : `${count(points.length, "day", "days")} with deletions; ${late} with one done late.` });
    chart.replaceChildren(summary, ...(points.length > 0 ? [lagChart(points)] : []));
    const today = day(new Date().toISOString());
    const row = (i) => el("tr", { class: i.state === "missed" ? "overdue" : null }, ...cells([i.itemRef, i.line, when(i.dueAt), i.state]));
    fill($("due-today-table").tBodies[0], items.filter((i) => day(i.dueAt) === today).map(row), 4, "Nothing due today.");
    fill($("overdue-table").tBodies[0], items.filter((i) => i.state === "missed" || (i.state === "open" && new Date(i.dueAt) < new Date())).map(row), 4, "Nothing overdue.");
    const quarantined = [];
    let continuation = null;
    do {
      const page = await api("GET", "quarantine?" + range + "&pageSize=1000" + (continuation ? "&continuation=" + encodeURIComponent(continuation) : ""));
      quarantined.push(...page.items);
      continuation = page.continuation;
    } while (continuation);
    fill($("quarantine-table").tBodies[0], quarantined.map((q) => el("tr", {}, ...cells([q.entry.itemRef, q.entry.reasonCode, q.entry.how, when(q.entry.at)]))), 4, "Nothing quarantined in the period.");
    say(`${count(items.length, "deletion", "deletions")} in the period; ${count(quarantined.length, "upload", "uploads")} quarantined.`);
  }

  // ---------- the report ----------
  function loadReport() {
    if (!$("report-from").value) {
      $("report-from").value = day(utcDayStart(-30).toISOString());
      $("report-to").value = day(utcDayStart(1).toISOString());
    }
    return showReport();
  }

  function stats(lag) {
    if (!lag) return "—";
    const unit = lagUnit(Math.max(Math.abs(lag.max), Math.abs(lag.min)));
    const f = (s) => (s / unit.seconds).toFixed(1) + " " + unit.name;
    return `${f(lag.p50)} / ${f(lag.p95)} / ${f(lag.max)}`;
  }

  async function showReport(event) {
    if (event) event.preventDefault();
    const from = $("report-from").value + "T00:00:00Z";
    const to = $("report-to").value + "T00:00:00Z";
    say("Building the report…");
    const report = await guarded(() => api("GET", `compliance-report?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`));
    if (!report) return;
    const rows = report.lines.map((l) => el("tr", { class: ["missed", "late", "proof-missing"].includes(l.status) ? "overdue" : null }, ...cells([l.id, l.obligation, l.title, l.status, String(l.due), String(l.done), String(l.onTime), String(l.late), String(l.missed), String(l.proofMissing), String(l.held), stats(l.lag)])));
    fill($("report-table").tBodies[0], rows, 12, "No line.");
    const bad = report.lines.filter((l) => ["missed", "late", "proof-missing"].includes(l.status)).length;
    $("report-summary").textContent = `Period ${day(report.from)} to ${day(report.to)}, judged ${when(report.generatedAt)}: ${report.lines.length} lines, ${bad} not met.`;
    say("Report ready.");
  }

  // ---------- dead letters ----------
  // One section per queue (index.html names them, as Messaging/Queues.cs does): what GET /api/dead-letters/{queue} lists,
  // and a replay (privacy officer only; the API decides) after a confirmation, its count announced.
  async function loadDeadLetters() {
    say("Loading dead letters…");
    let total = 0;
    for (const section of document.querySelectorAll("#view-dead-letters [data-queue]")) {
      const queue = section.dataset.queue;
      const letters = await api("GET", "dead-letters/" + encodeURIComponent(queue));
      total += letters.length;
      const rows = letters.map((d) => el("tr", { "data-message": d.messageId }, ...cells([d.messageId, d.reason, d.description, when(d.enqueuedAt), String(d.deliveryCount)])));
      fill(section.querySelector("tbody"), rows, 5, "No dead letter.");
      const replay = section.querySelector("[data-replay]");
      replay.disabled = letters.length === 0;
      replay.dataset.count = String(letters.length);
    }
    say(`${count(total, "dead letter", "dead letters")}.`);
  }

  async function replayDeadLetters(queue, button) {
    if (!window.confirm(`Put the dead letters of the ${queue} queue back on it? Each is handled again; one that fails again comes back here.`)) {
      say("Replay cancelled: nothing was put back.");
      return;
    }
    const answer = await guarded(() => api("POST", "dead-letters/" + encodeURIComponent(queue) + "/replay"));
    if (answer) {
      await guarded(loadDeadLetters);
      say(`${count(answer.replayed, "dead letter", "dead letters")} of ${queue} put back on the queue.`);
      if (!button.disabled) button.focus();
      else $("dead-letters-title").focus();
    }
  }

  // ---------- the sharing ledger ----------
  // GET /api/disclosures for one resident or one building (privacy officer); a disclosure recorded about the same one
  // (POST /api/disclosures): a refusal (400, or 422 for marketing and unlawful keyless-entry sharing, O12) shows the API's
  // reason in the form's alert with the fields it names marked.
  const DISCLOSURE_FIELDS = [[/dataCategories|keyless/i, "disclosure-categories"], [/recipientCategory/i, "disclosure-recipient-category"], [/recipientName/i, "disclosure-recipient"], [/purpose|marketing|advertising|sold/i, "disclosure-purpose"], [/legalBasis/i, "disclosure-basis"], [/authorization/i, "disclosure-authorization"], [/subjectId|buildingId/i, "ledger-id"]];

  function ledger() {
    return { key: $("ledger-kind").value, id: $("ledger-id").value.trim() };
  }

  async function loadDisclosures() {
    const { key, id } = ledger();
    if (!id) {
      $("disclosures-caption").textContent = "Disclosures";
      fill($("disclosures-table").tBodies[0], [], 8, "Choose a resident or a building.");
      return;
    }
    const whose = (key === "subjectId" ? "resident " : "building ") + id;
    const items = await api("GET", `disclosures?${key}=${encodeURIComponent(id)}`);
    items.sort((a, b) => new Date(b.disclosedAt) - new Date(a.disclosedAt));
    $("disclosures-caption").textContent = "Disclosures about " + whose + ", newest first";
    const rows = items.map((d) => el("tr", { "data-disclosure": d.disclosureId }, ...cells([when(d.disclosedAt), d.dataCategories.join(", "), d.recipientCategory, d.recipientName, d.purpose, d.legalBasis, d.authorization, when(d.recordedAt)])));
    fill($("disclosures-table").tBodies[0], rows, 8, "No disclosure recorded about " + whose + ".");
    say(`${count(items.length, "disclosure", "disclosures")} about ${whose}.`);
  }

  async function showLedger(event) {
    event.preventDefault();
    await guarded(loadDisclosures);
  }

  async function recordDisclosure(event) {
    event.preventDefault();
    const box = $("disclosure-error");
    const { key, id } = ledger();
    const body = {
      [key]: id || null,
      dataCategories: list($("disclosure-categories").value),
      recipientCategory: $("disclosure-recipient-category").value,
      recipientName: $("disclosure-recipient").value.trim(),
      purpose: $("disclosure-purpose").value,
      legalBasis: $("disclosure-basis").value.trim(),
      disclosedAt: localInputToIso($("disclosure-at").value),
      authorization: $("disclosure-authorization").value.trim() || null,
    };
    const recorded = await guarded(() => api("POST", "disclosures", body), box);
    flagFields(box, DISCLOSURE_FIELDS);
    if (!recorded) return;
    $("disclosure-form").reset();
    await guarded(loadDisclosures);
    say("Disclosure " + recorded.disclosureId + " recorded in the ledger.");
  }

  // ---------- the recordings catalogue ----------
  // GET /api/buildings/{id}/recordings (privacy officer): one building's catalogue records, captured in [from, to), 100 a
  // page; "Show more" reads the next page with the API's continuation. A refusal (a bad id or range) shows in the form's alert.
  async function loadRecordings(more) {
    const building = $("recordings-building").value.trim();
    const body = $("recordings-table").tBodies[0];
    if (!building) {
      $("recordings-caption").textContent = "Recordings";
      fill(body, [], 10, "Choose a building.");
      $("recordings-more").hidden = true;
      return;
    }
    const query = new URLSearchParams({ pageSize: "100" });
    const from = localInputToIso($("recordings-from").value);
    const to = localInputToIso($("recordings-to").value);
    if (from) query.set("from", from);
    if (to) query.set("to", to);
    if (more && state.recordingsContinuation) query.set("continuation", state.recordingsContinuation);
    const page = await api("GET", "buildings/" + encodeURIComponent(building) + "/recordings?" + query.toString());
    const rows = page.items.map((r) => el("tr", { "data-capture": r.captureId }, ...cells([when(r.capturedAt), r.doorId, r.captureId, r.kind, r.dataCategory, r.purpose, r.source, r.retention.ruleId + " (" + r.retention.obligation + ")", when(r.deadline), r.status])));
    if (more) {
      for (const row of rows) body.append(row);
    } else {
      fill(body, rows, 10, "No recording catalogued for building " + building + " in that time.");
    }
    state.recordingsContinuation = page.continuation || null;
    $("recordings-more").hidden = !state.recordingsContinuation;
    $("recordings-caption").textContent = "Recordings of building " + building;
    say(`${count(body.querySelectorAll("tr[data-capture]").length, "recording", "recordings")} of building ${building} shown${state.recordingsContinuation ? "; more to show" : ""}.`);
  }

  async function showRecordings(event) {
    event.preventDefault();
    await guarded(() => loadRecordings(false), $("recordings-error"));
  }

  // ---------- property managers ----------
  async function loadCorrections(building) {
    const chosen = building || $("corrections-building").value || state.buildings[0];
    if (!chosen) {
      fill($("corrections-table").tBodies[0], [], 6, "Your token names no building.");
      return;
    }
    if ([...$("corrections-building").options].some((o) => o.value === chosen)) $("corrections-building").value = chosen;
    $("manager-correction-form").hidden = true;
    // The API decides what this caller may read: another building's tasks answer 404, shown as the error.
    fill($("corrections-table").tBodies[0], [], 6, "Loading…");
    const tasks = await api("GET", "buildings/" + encodeURIComponent(chosen) + "/correction-tasks").catch((e) => {
      fill($("corrections-table").tBodies[0], [], 6, "Nothing to show for building " + chosen + ".");
      throw e;
    });
    const rows = tasks.map((t) => {
      const answer = el("button", { type: "button", class: "secondary", "data-task": t.requestId, "aria-label": "Answer request " + t.requestId, onclick: () => chooseTask(t) }, "Answer");
      return el("tr", { class: new Date(t.dueAt) < new Date() ? "overdue" : null }, ...cells([t.requestId, t.unitId, t.field, t.requestedValue, day(t.dueAt), answer]));
    });
    fill($("corrections-table").tBodies[0], rows, 6, "No correction waits for an answer.");
    say(`${count(tasks.length, "correction task", "correction tasks")} in ${chosen}.`);
  }

  function chooseTask(task) {
    state.selectedTask = task;
    $("manager-correction-form").hidden = false;
    $("manager-correction-title").textContent = "Answer request " + task.requestId;
    $("manager-correction-title").focus();
  }

  async function managerCorrection(event) {
    event.preventDefault();
    const task = state.selectedTask;
    if (task && await answerCorrection(task.requestId, $("manager-outcome").value, $("manager-note").value)) {
      $("manager-correction-form").reset();
      say("Answer sent for " + task.requestId + ".");
      await untilAnswered(task.requestId, () => loadCorrections($("corrections-building").value), () => [...document.querySelectorAll("#corrections-table [data-task]")].map((b) => b.dataset.task));
      $("corrections-title").focus();
    }
  }

  // The API accepts an answer (202) and the request's workflow records it a moment later: the list is read again until
  // the answered task has left it (at most 30 times, a second apart).
  function untilAnswered(requestId, reload, listed) {
    return until(reload, () => !listed().includes(requestId));
  }

  async function until(reload, done) {
    for (let i = 0; i < 30; i++) {
      await guarded(reload);
      if (done()) return true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return false;
  }

  async function loadDevices(building) {
    const chosen = building || $("devices-building").value || state.buildings[0];
    if (!chosen) {
      fill($("devices-table").tBodies[0], [], 4, "Your token names no building.");
      return;
    }
    const devices = await api("GET", "buildings/" + encodeURIComponent(chosen) + "/devices");
    fill($("devices-table").tBodies[0], devices.map((d) => el("tr", {}, ...cells([d.deviceId, d.doorIds.join(", "), d.status, day(d.registeredAt)]))), 4, "No device registered.");
    say(`${count(devices.length, "device", "devices")} in ${chosen}.`);
  }

  // ---------- start ----------
  async function start() {
    $("dev-sign-in").addEventListener("submit", devSignIn);
    $("entra-button").addEventListener("click", () => guarded(entraSignIn));
    $("sign-out").addEventListener("click", () => signOut("Signed out."));
    $("request-filters").addEventListener("change", renderRequests);
    $("extension-form").addEventListener("submit", extend);
    $("officer-correction-form").addEventListener("submit", officerCorrection);
    $("manual-verification-form").addEventListener("submit", verifyManually);
    $("not-on-file-form").addEventListener("submit", fileNotOnFile);
    $("hold-form").addEventListener("submit", placeHold);
    $("ledger-form").addEventListener("submit", showLedger);
    $("disclosure-form").addEventListener("submit", recordDisclosure);
    $("recordings-form").addEventListener("submit", showRecordings);
    $("recordings-more").addEventListener("click", () => guarded(() => loadRecordings(true), $("recordings-error")));
    for (const button of document.querySelectorAll("[data-replay]")) {
      button.addEventListener("click", () => replayDeadLetters(button.dataset.replay, button));
    }
    $("incident-form").addEventListener("submit", declareIncident);
    $("report-form").addEventListener("submit", showReport);
    $("report-print").addEventListener("click", () => window.print());
    $("manager-correction-form").addEventListener("submit", managerCorrection);
    $("corrections-building").addEventListener("change", () => { history.replaceState(null, "", "#corrections/" + $("corrections-building").value); guarded(() => loadCorrections($("corrections-building").value)); });
    $("devices-building").addEventListener("change", () => { history.replaceState(null, "", "#devices/" + $("devices-building").value); guarded(() => loadDevices($("devices-building").value)); });
    window.addEventListener("hashchange", () => route(location.hash));

    state.config = await fetch("/api/console/config", { cache: "no-store" }).then((r) => r.json());
    $("dev-sign-in").hidden = state.config.signIn !== "dev-tokens";
    $("entra-sign-in").hidden = state.config.signIn !== "entra";
    $("no-sign-in").hidden = state.config.signIn === "dev-tokens" || state.config.signIn === "entra";

    const params = new URLSearchParams(location.search);
    if (state.config.signIn === "entra" && params.has("code")) {
      await guarded(() => completeEntraSignIn(params));
      return;
    }
    if (params.has("error")) {
      showError("Sign-in failed: " + (params.get("error_description") || params.get("error")));
      history.replaceState(null, "", location.pathname);
    }

    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) {
      try {
        adopt(saved);
        if (state.claims.exp && state.claims.exp * 1000 < Date.now()) throw new Error("expired");
        signedIn();
        return;
      } catch {
        signOut();
      }
    }
    show("sign-in");
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", () => start().finally(() => { document.body.dataset.ready = "true"; }));
})();

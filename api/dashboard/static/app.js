// Hold Slayer dashboard: plain JavaScript over the REST API and /ws/events.
"use strict";
(() => {
  const TOKEN_KEY = "holdslayer.token";
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  };
  const fmtDur = (s) => {
    s = Math.max(0, Math.round(s || 0));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
  };
  const fmtTime = (t) => { const d = new Date(t); return isNaN(d) ? "" : d.toLocaleTimeString(); };
  const fmtDate = (t) => { const d = new Date(t); return isNaN(d) ? "" : d.toLocaleString(); };

  // ---- API access with the token ----
  let token = localStorage.getItem(TOKEN_KEY) || "";
  let tokenWaiters = null;

  class APIError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  function askToken(message) {
    if (!tokenWaiters) {
      tokenWaiters = [];
      const dlg = $("#token-dialog");
      const err = $(".form-error", dlg);
      err.hidden = !message;
      err.textContent = message || "";
      $("#token-input").value = "";
      if (!dlg.open) dlg.showModal();
      $("#token-input").focus();
    }
    return new Promise((resolve) => tokenWaiters.push(resolve));
  }
  $("#token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("#token-input").value.trim();
    if (!v) return;
    token = v;
    localStorage.setItem(TOKEN_KEY, token);
    $("#token-dialog").close();
    $("#forget-token").hidden = false;
    const w = tokenWaiters || [];
    tokenWaiters = null;
    w.forEach((r) => r());
    reconnectSoon(0);
  });
  $("#forget-token").hidden = !token;
  $("#forget-token").addEventListener("click", () => {
    localStorage.removeItem(TOKEN_KEY);
    token = "";
    location.reload();
  });

  async function api(method, path, body, opts = {}) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (token) headers.Authorization = "Bearer " + token;
      const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (resp.status === 401) {
        await askToken(token ? "That token was refused. Enter the API token." : "");
        continue;
      }
      if (opts.raw) {
        if (!resp.ok) throw new APIError(resp.status, resp.statusText);
        return resp;
      }
      const text = await resp.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (!resp.ok) throw new APIError(resp.status, (data && data.detail) || text || resp.statusText);
      return data;
    }
    throw new APIError(401, "not authorized");
  }

  function showError(node, err) {
    if (!node) return;
    node.hidden = !err;
    node.textContent = err ? (err.message || String(err)) : "";
  }

  // ---- Tabs ----
  const loaders = {};
  function showTab(name) {
    $$(".top nav button").forEach((b) => { if (b.dataset.tab === name) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current"); });
    $$(".tab").forEach((s) => { s.hidden = s.id !== "tab-" + name; });
    if (loaders[name]) loaders[name]();
  }
  $$(".top nav button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));

  // ---- Alerts: sound and notification, unlocked by a click ----
  let audioCtx = null;
  $("#enable-alerts").addEventListener("click", async () => {
    try {
      audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
      await audioCtx.resume();
    } catch (e) { /* no audio in this browser */ }
    if ("Notification" in window && Notification.permission === "default") {
      try { await Notification.requestPermission(); } catch (e) { /* refused */ }
    }
    $("#enable-alerts").textContent = "Alerts on";
    beep(1);
  });
  function beep(times = 3) {
    window.__hsBeeps = (window.__hsBeeps || 0) + 1;
    if (!audioCtx) return;
    const t0 = audioCtx.currentTime;
    for (let i = 0; i < times; i++) {
      const o = audioCtx.createOscillator(), g = audioCtx.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.0001, t0 + i * 0.35);
      g.gain.exponentialRampToValueAtTime(0.3, t0 + i * 0.35 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.35 + 0.25);
      o.connect(g).connect(audioCtx.destination);
      o.start(t0 + i * 0.35);
      o.stop(t0 + i * 0.35 + 0.3);
    }
  }
  function notify(title, body) {
    if ("Notification" in window && Notification.permission === "granted") {
      try { new Notification(title, { body, tag: "holdslayer-human", requireInteraction: true }); } catch (e) { /* ignore */ }
    }
  }

  // ---- Reference data: devices and flows ----
  let devices = [];
  let flows = [];
  async function loadDevices() {
    const d = await api("GET", "/api/devices");
    devices = (d && d.devices) || [];
    const sel = $("#cf-device");
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "Best online device"),
      ...devices.map((x) => el("option", { value: x.name }, x.name + (x.is_online ? "" : " (offline)"))));
    sel.value = keep;
    $$(".call-card select.transfer-device").forEach(fillDeviceSelect);
    return devices;
  }
  function fillDeviceSelect(sel) {
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "Best device"), ...devices.map((x) => el("option", { value: x.name }, x.name)));
    sel.value = keep;
  }
  async function loadFlows() {
    const d = await api("GET", "/api/call-flows");
    flows = (d && d.flows) || [];
    fillFlowSelect();
    return flows;
  }
  function fillFlowSelect() {
    const num = $("#cf-number").value.trim();
    const sel = $("#cf-flow");
    const keep = sel.value;
    const match = flows.filter((f) => !num || !f.phone_number || f.phone_number === num);
    sel.replaceChildren(el("option", { value: "" }, "Automatic"), ...match.map((f) => el("option", { value: f.id }, f.name + (f.company ? " (" + f.company + ")" : ""))));
    if (match.some((f) => f.id === keep)) sel.value = keep;
  }
  $("#cf-number").addEventListener("input", fillFlowSelect);

  // ---- Start a call ----
  $("#call-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const err = $(".form-error", form);
    const btn = $("button[type=submit]", form);
    $("#cf-number").removeAttribute("aria-invalid");
    const body = {
      number: $("#cf-number").value.trim(),
      mode: $("#cf-mode").value,
      intent: $("#cf-intent").value.trim(),
      call_flow_id: $("#cf-flow").value,
      device: $("#cf-device").value,
      services: { recording: $("#cf-recording").checked, transcription: $("#cf-transcription").checked },
    };
    btn.disabled = true;
    try {
      const placed = await api("POST", "/api/calls/outbound", body);
      showError(err, null);
      upsertCall({ call_id: placed.call_id, status: placed.status, number: placed.number, mode: placed.mode,
        started_at: placed.started_at || new Date().toISOString(), device: body.device, intent: body.intent, hold_time: 0 });
    } catch (e) {
      showError(err, e);
      if (/number/i.test(e.message)) { $("#cf-number").setAttribute("aria-invalid", "true"); $("#cf-number").focus(); }
    } finally {
      btn.disabled = false;
    }
  });

  // ---- Live calls ----
  const CLASS_COLOURS = {
    silence: "#d0d7de", ringing: "#54aeff", speech: "#2da44e", music: "#d4a72c", dtmf: "#8250df",
    ivr_prompt: "#0969da", busy: "#cf222e", reorder: "#cf222e", sit: "#a40e26", noise: "#8c959f", unknown: "#afb8c1",
  };
  const colourOf = (c) => CLASS_COLOURS[c] || CLASS_COLOURS.unknown;
  const calls = new Map();
  let lastSeq = 0;

  function markOf(ev) {
    const d = ev.data || {};
    switch (ev.type) {
      case "ivr_step": return { kind: "step", colour: "#0969da", label: "Step " + (d.step_id || "") + (d.description ? ": " + d.description : "") };
      case "ivr_dtmf_sent": return { kind: "keys", colour: "#8250df", label: "Keys " + (d.digits || "") };
      case "ivr_menu_detected": return { kind: "menu", colour: "#0969da", label: "Menu heard" };
      case "hold_detected": return { kind: "hold", colour: "#bf8700", label: "On hold (" + (d.audio_type || "") + ")" };
      case "human_detected": return { kind: "human", colour: "#8250df", label: "Person answered (" + Math.round((d.confidence || 0) * 100) + "%)" };
      case "human_withdrawn": return { kind: "human", colour: "#6e7781", label: "Not a person after all" };
      case "transfer_started": return { kind: "transfer", colour: "#1a7f37", label: "Ringing " + (d.device || "your phone") };
      case "transfer_complete": return { kind: "transfer", colour: "#1a7f37", label: "Connected to " + (d.device || "your phone") };
      case "transfer_failed": return { kind: "transfer", colour: "#cf222e", label: "Transfer failed" + (d.error ? ": " + d.error : "") };
      case "wait_estimated": return { kind: "wait", colour: "#bf8700", label: "Estimated wait " + fmtDur(d.seconds) };
      case "call_connected": return { kind: "call", colour: "#1a7f37", label: "Answered" };
      case "call_ended": return { kind: "call", colour: "#57606a", label: "Ended" + (d.reason ? " (" + d.reason + ")" : "") };
      case "call_failed": return { kind: "call", colour: "#cf222e", label: "Failed" + (d.error ? ": " + d.error : "") };
      default: return null;
    }
  }

  function buildCard(c) {
    const card = el("article", { class: "call-card", "data-call-id": c.call_id, "data-status": c.status, "data-history": "", "aria-label": "Call to " + c.number });
    card.append(
      el("div", { class: "call-head" },
        el("h3", {}, c.number, el("span", { class: "muted company" })),
        el("span", { class: "badge", role: "status" }, c.status)),
      el("p", { class: "muted intent" }),
      el("div", { class: "alert-human", role: "alert", hidden: true }),
      el("dl", { class: "stats" },
        el("div", {}, el("dt", {}, "Elapsed"), el("dd", { class: "elapsed" }, "0:00")),
        el("div", {}, el("dt", {}, "On hold"), el("dd", { class: "hold" }, "0:00")),
        el("div", {}, el("dt", {}, "Hearing"), el("dd", { class: "audio" }, "–")),
        el("div", {}, el("dt", {}, "Est. wait"), el("dd", { class: "wait" }, "–"))),
      el("div", { class: "controls" },
        el("button", { type: "button", class: "pickup primary", title: "Ring your phone now and join the call" }, "Pick up now"),
        el("label", { class: "inline" }, el("span", { class: "muted" }, "to"), el("select", { class: "transfer-device", "aria-label": "Device to transfer to" })),
        el("button", { type: "button", class: "transfer" }, "Transfer")),
      el("form", { class: "controls dtmf" },
        el("input", { class: "keys", inputmode: "tel", placeholder: "keys", "aria-label": "Keys to send" }),
        el("button", { type: "submit" }, "Send keys"),
        el("button", { type: "button", class: "hangup danger" }, "Hang up")),
      el("p", { class: "card-error", role: "alert", hidden: true }),
      el("div", { class: "timeline" },
        el("canvas", { width: 600, height: 64, role: "img", "aria-label": "Audio classification over time" }),
        el("ul", { class: "legend" }),
        el("details", { open: true }, el("summary", {}, "Timeline"), el("ul", { class: "timeline-marks" }))),
      el("details", { open: true, class: "transcript-box" }, el("summary", {}, "Transcript"), el("ul", { class: "transcript", "aria-live": "polite" })));
    fillDeviceSelect($(".transfer-device", card));
    const act = async (fn) => {
      const e = $(".card-error", card);
      try { await fn(); showError(e, null); } catch (err) { showError(e, err); }
    };
    $(".pickup", card).addEventListener("click", () => act(() => api("POST", "/api/calls/" + encodeURIComponent(c.call_id) + "/transfer", { device: $(".transfer-device", card).value })));
    $(".transfer", card).addEventListener("click", () => act(() => api("POST", "/api/calls/" + encodeURIComponent(c.call_id) + "/transfer", { device: $(".transfer-device", card).value })));
    $(".hangup", card).addEventListener("click", () => act(() => api("POST", "/api/calls/" + encodeURIComponent(c.call_id) + "/hangup")));
    $(".dtmf", card).addEventListener("submit", (ev) => {
      ev.preventDefault();
      const keys = $(".keys", card).value.trim();
      act(async () => { await api("POST", "/api/calls/" + encodeURIComponent(c.call_id) + "/dtmf", { digits: keys }); $(".keys", card).value = ""; });
    });
    return card;
  }

  function upsertCall(summary) {
    let c = calls.get(summary.call_id);
    if (!c) {
      c = { ...summary, events: [], seqs: new Set(), transcript: [], holdSince: null, estWait: null, audio: summary.audio_type || "" };
      c.card = buildCard(c);
      calls.set(c.call_id, c);
      $("#calls").prepend(c.card);
    } else {
      Object.assign(c, summary, { card: c.card, events: c.events, seqs: c.seqs, transcript: c.transcript });
    }
    if (summary.estimated_wait !== undefined && summary.estimated_wait !== null) c.estWait = summary.estimated_wait;
    if (summary.audio_type) c.audio = summary.audio_type;
    setStatus(c, summary.status, null);
    renderCard(c);
    $("#no-calls").hidden = calls.size > 0;
    return c;
  }

  function setStatus(c, status, at) {
    if (!status) return;
    if (c.status === "on_hold" && status !== "on_hold" && c.holdSince) {
      c.hold_time = (c.hold_time || 0) + (new Date(at || Date.now()) - c.holdSince) / 1000;
      c.holdSince = null;
    }
    if (status === "on_hold" && !c.holdSince) c.holdSince = new Date(at || Date.now());
    c.status = status;
    const card = c.card;
    card.dataset.status = status;
    const hist = card.dataset.history ? card.dataset.history.split(" ") : [];
    if (hist[hist.length - 1] !== status) { hist.push(status); card.dataset.history = hist.join(" "); }
    $(".badge", card).textContent = status.replace(/_/g, " ");
    const ended = status === "ended" || status === "failed";
    $$(".controls button, .controls input, .controls select", card).forEach((b) => { b.disabled = ended; });
  }

  function renderCard(c) {
    const card = c.card;
    // A live call's "now" is the later of this browser's clock and the newest event, so a
    // service clock ahead of the browser's (skew, or an accelerated test clock) cannot squeeze
    // the strip chart or show a negative elapsed time.
    const last = c.events.length ? new Date(c.events[c.events.length - 1].timestamp) : new Date(0);
    const now = c.ended_at ? new Date(c.ended_at) : new Date(Math.max(Date.now(), last.getTime()));
    $(".elapsed", card).textContent = fmtDur((now - new Date(c.started_at)) / 1000);
    const hold = (c.hold_time || 0) + (c.holdSince ? (Date.now() - c.holdSince) / 1000 : 0);
    $(".hold", card).textContent = fmtDur(hold);
    $(".audio", card).textContent = c.audio || "–";
    $(".wait", card).textContent = c.estWait ? "~" + fmtDur(c.estWait) : "–";
    $(".company", card).textContent = c.company ? " · " + c.company : "";
    $(".intent", card).textContent = c.intent || "";
    drawStrip($("canvas", card), c.events, new Date(c.started_at), now);
  }

  // drawStrip paints the classification as coloured segments over time with event marks.
  function drawStrip(canvas, events, start, end) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const t0 = start.getTime(), span = Math.max(1000, end.getTime() - t0);
    const x = (t) => Math.min(w, Math.max(0, ((t - t0) / span) * w));
    const classes = events.filter((e) => e.type === "audio_classified");
    let segments = 0;
    classes.forEach((e, i) => {
      const from = new Date(e.timestamp).getTime();
      const to = i + 1 < classes.length ? new Date(classes[i + 1].timestamp).getTime() : end.getTime();
      ctx.fillStyle = colourOf(e.data && e.data.audio_type);
      ctx.fillRect(x(from), 18, Math.max(2, x(to) - x(from)), h - 26);
      segments++;
    });
    let marks = 0;
    events.forEach((e) => {
      const m = markOf(e);
      if (!m) return;
      const px = x(new Date(e.timestamp).getTime());
      ctx.fillStyle = m.colour;
      ctx.fillRect(px - 1, 0, 2, h);
      ctx.beginPath(); ctx.moveTo(px - 5, 0); ctx.lineTo(px + 5, 0); ctx.lineTo(px, 8); ctx.fill();
      marks++;
    });
    canvas.dataset.segments = segments;
    canvas.dataset.marks = marks;
    const legend = canvas.parentElement && $(".legend", canvas.parentElement);
    if (legend) {
      const seen = [...new Set(classes.map((e) => (e.data && e.data.audio_type) || "unknown"))];
      legend.replaceChildren(...seen.map((k) => el("li", {}, el("i", { style: "background:" + colourOf(k) }), k)));
    }
  }

  function addEvent(c, ev, live) {
    if (ev.seq && c.seqs.has(ev.seq)) return;
    if (ev.seq) c.seqs.add(ev.seq);
    c.events.push(ev);
    const d = ev.data || {};
    const card = c.card;
    const m = markOf(ev);
    if (m) {
      const li = el("li", { "data-kind": m.kind }, el("time", { datetime: ev.timestamp }, fmtTime(ev.timestamp)), m.label);
      const ul = $(".timeline-marks", card);
      ul.append(li);
      ul.scrollTop = ul.scrollHeight;
    }
    switch (ev.type) {
      case "status_changed": setStatus(c, d.status, ev.timestamp); break;
      case "audio_classified": c.audio = d.audio_type; break;
      case "wait_estimated": c.estWait = d.seconds; break;
      case "transcript_chunk":
        if (d.is_final !== false) appendTranscript(card, { speaker: d.speaker, text: d.text, start_at: ev.timestamp });
        break;
      case "human_detected": {
        const where = c.device || "your best online device";
        const a = $(".alert-human", card);
        a.hidden = false;
        a.classList.remove("done");
        a.textContent = "A person answered! Transferring to " + where + " — pick up.";
        if (live) { beep(3); notify("Pick up! A person answered", c.number + (c.company ? " (" + c.company + ")" : "") + " — ringing " + where); }
        break;
      }
      case "transfer_started": {
        const a = $(".alert-human", card);
        a.hidden = false;
        a.textContent = "Transferring to " + (d.device || c.device || "your phone") + "…";
        break;
      }
      case "transfer_complete": {
        const a = $(".alert-human", card);
        a.hidden = false;
        a.classList.add("done");
        a.textContent = "Connected to " + (d.device || c.device || "your phone") + ".";
        c.device = d.device || c.device;
        break;
      }
      case "call_ended": case "call_failed":
        setStatus(c, ev.type === "call_ended" ? "ended" : "failed", ev.timestamp);
        c.ended_at = ev.timestamp;
        setTimeout(() => { c.card.remove(); calls.delete(c.call_id); $("#no-calls").hidden = calls.size > 0; }, 60000);
        break;
    }
    renderCard(c);
  }

  function appendTranscript(card, seg) {
    const ul = $(".transcript", card);
    ul.append(el("li", {}, el("time", {}, fmtTime(seg.start_at)), el("span", { class: "speaker" }, (seg.speaker || "?") + ":"), seg.text));
    ul.scrollTop = ul.scrollHeight;
  }

  async function handleEvent(ev, live) {
    if (ev.seq && ev.seq > lastSeq) lastSeq = ev.seq;
    let c = calls.get(ev.call_id);
    if (!c) {
      if (ev.type === "call_ended" || ev.type === "call_failed") return;
      try {
        const full = await api("GET", "/api/calls/" + encodeURIComponent(ev.call_id));
        c = calls.get(ev.call_id) || upsertCall(full);
        await backfill(c);
      } catch (e) { return; }
    }
    addEvent(c, ev, live);
  }

  async function backfill(c) {
    const [evs, tr] = await Promise.all([
      api("GET", "/api/calls/" + encodeURIComponent(c.call_id) + "/events"),
      api("GET", "/api/calls/" + encodeURIComponent(c.call_id) + "/transcript"),
    ]);
    (evs.events || []).forEach((ev) => { if (ev.seq > lastSeq) lastSeq = ev.seq; if (ev.type !== "transcript_chunk") addEvent(c, ev, false); else if (ev.seq) c.seqs.add(ev.seq); });
    $(".transcript", c.card).replaceChildren();
    (tr.segments || []).filter((s) => s.is_final).forEach((s) => appendTranscript(c.card, s));
  }

  async function loadActive() {
    const d = await api("GET", "/api/calls");
    for (const s of (d.calls || [])) {
      const full = await api("GET", "/api/calls/" + encodeURIComponent(s.call_id));
      const c = upsertCall(full);
      await backfill(c);
    }
  }

  setInterval(() => calls.forEach((c) => { if (c.status !== "ended" && c.status !== "failed") renderCard(c); }), 1000);

  // ---- Event stream with reconnect and replay ----
  let ws = null, retry = 0, retryTimer = null;
  window.__hsDisconnects = 0;
  function setConn(state, text) {
    const s = $("#conn-status");
    s.dataset.state = state;
    s.textContent = text;
  }
  function connect() {
    clearTimeout(retryTimer);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = new URLSearchParams();
    if (lastSeq > 0) q.set("since", String(lastSeq));
    if (token) q.set("token", token);
    const url = proto + "//" + location.host + "/ws/events" + (q.toString() ? "?" + q : "");
    let opened = false;
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws.onopen = () => { opened = true; retry = 0; setConn("live", "Live"); };
    ws.onmessage = (m) => { try { handleEvent(JSON.parse(m.data), true); } catch (e) { /* bad frame */ } };
    ws.onclose = async () => {
      ws = null;
      window.__hsDisconnects++;
      if (!opened) {
        // A refused upgrade may mean a missing or wrong token: ask the API to find out.
        try { await api("GET", "/api/calls"); } catch (e) { /* shown elsewhere */ }
      }
      scheduleReconnect();
    };
  }
  function scheduleReconnect() {
    const delay = Math.min(15000, 500 * Math.pow(2, retry)) * (0.8 + Math.random() * 0.4);
    retry++;
    setConn("disconnected", "Disconnected — reconnecting in " + Math.ceil(delay / 1000) + "s");
    retryTimer = setTimeout(connect, delay);
  }
  function reconnectSoon(delay) {
    if (ws && ws.readyState <= 1) return;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  // ---- History ----
  let histOffset = 0;
  const HIST_LIMIT = 20;
  async function loadHistory() {
    const f = $("#history-form");
    const q = new URLSearchParams();
    for (const k of ["number", "company", "status", "from", "to"]) { const v = f.elements[k].value.trim(); if (v) q.set(k, v); }
    q.set("limit", HIST_LIMIT);
    q.set("offset", histOffset);
    try {
      const d = await api("GET", "/api/calls/history?" + q);
      showError($("#history-error"), null);
      const rows = (d.items || []).map((c) => el("tr", {},
        el("td", {}, fmtDate(c.started_at)), el("td", {}, c.number), el("td", {}, c.company || ""), el("td", {}, c.mode),
        el("td", {}, c.status), el("td", {}, fmtDur(c.hold_time)), el("td", {}, c.end_reason || ""),
        el("td", {}, el("button", { type: "button", onclick: () => showHistoryCall(c) }, "Details"))));
      $("#history-table tbody").replaceChildren(...rows);
      $("#hist-page").textContent = d.total ? (histOffset + 1) + "–" + (histOffset + rows.length) + " of " + d.total : "No calls";
      $("#hist-prev").disabled = histOffset === 0;
      $("#hist-next").disabled = histOffset + rows.length >= d.total;
    } catch (e) { showError($("#history-error"), e); }
  }
  $("#history-form").addEventListener("submit", (ev) => { ev.preventDefault(); histOffset = 0; loadHistory(); });
  $("#hist-prev").addEventListener("click", () => { histOffset = Math.max(0, histOffset - HIST_LIMIT); loadHistory(); });
  $("#hist-next").addEventListener("click", () => { histOffset += HIST_LIMIT; loadHistory(); });

  async function showHistoryCall(c) {
    const box = $("#history-detail");
    const id = encodeURIComponent(c.call_id);
    try {
      const [full, evs, tr, recs] = await Promise.all([api("GET", "/api/calls/" + id), api("GET", "/api/calls/" + id + "/events"),
        api("GET", "/api/calls/" + id + "/transcript"), api("GET", "/api/calls/" + id + "/recordings")]);
      const canvas = el("canvas", { width: 900, height: 64, role: "img", "aria-label": "Audio classification over time" });
      const marks = el("ul", { class: "timeline-marks" });
      (evs.events || []).forEach((ev) => { const m = markOf(ev); if (m) marks.append(el("li", { "data-kind": m.kind }, el("time", {}, fmtTime(ev.timestamp)), m.label)); });
      const trList = el("ul", { class: "transcript" }, ...(tr.segments || []).filter((s) => s.is_final).map((s) =>
        el("li", {}, el("time", {}, fmtTime(s.start_at)), el("span", { class: "speaker" }, s.speaker + ":"), s.text)));
      const recList = el("ul", {});
      for (const r of (recs.recordings || [])) {
        const audio = el("audio", { controls: true, preload: "none", "aria-label": "Recording " + r.kind });
        recList.append(el("li", {}, r.kind + " · " + fmtDur(r.duration) + " ", audio));
        api("GET", r.url, undefined, { raw: true }).then((resp) => resp.blob()).then((b) => { audio.src = URL.createObjectURL(b); })
          .catch((e) => audio.replaceWith(el("span", { class: "card-error" }, e.message)));
      }
      box.replaceChildren(el("div", { class: "panel history-call", "data-call-id": c.call_id },
        el("h3", {}, "Call to " + full.number + (full.company ? " · " + full.company : "")),
        el("p", {}, "Status ", el("b", {}, full.status), full.end_reason ? " · ended by " + full.end_reason : "", " · on hold " + fmtDur(full.hold_time), " · lasted " + fmtDur(full.duration)),
        el("div", { class: "timeline" }, canvas, el("ul", { class: "legend" }), marks),
        el("h4", {}, "Transcript"), trList.childElementCount ? trList : el("p", { class: "muted" }, "No transcript."),
        el("h4", {}, "Recordings"), recList.childElementCount ? recList : el("p", { class: "muted" }, "No recordings.")));
      const end = full.ended_at ? new Date(full.ended_at) : new Date();
      drawStrip(canvas, evs.events || [], new Date(full.started_at), end);
      box.scrollIntoView({ behavior: "smooth", block: "start" });
    } catch (e) { showError($("#history-error"), e); }
  }

  // ---- Call flows ----
  let editingFlow = null;
  async function showFlows() {
    try {
      await loadFlows();
      const rows = flows.map((f) => el("tr", {}, el("td", {}, f.name), el("td", {}, f.company || ""), el("td", {}, f.phone_number || ""),
        el("td", {}, f.step_count), el("td", {}, f.success_count + " / " + f.fail_count),
        el("td", {}, el("button", { type: "button", onclick: () => viewFlow(f.id) }, "View"), " ",
          el("button", { type: "button", onclick: () => editFlow(f.id) }, "Edit"), " ",
          el("button", { type: "button", class: "danger", onclick: () => deleteFlow(f) }, "Delete"))));
      $("#flows-table tbody").replaceChildren(...rows);
    } catch (e) { $("#flow-view").replaceChildren(el("p", { class: "form-error" }, e.message)); }
  }
  async function viewFlow(id) {
    const f = await api("GET", "/api/call-flows/" + encodeURIComponent(id));
    $("#flow-view").replaceChildren(el("div", { class: "panel" }, el("h3", {}, f.name + (f.stale ? " (needs checking)" : "")),
      el("ol", {}, ...(f.steps || []).map((s) => el("li", {}, el("b", {}, s.type), " ", s.id, s.description ? " — " + s.description : "",
        s.dtmf ? " · keys " + s.dtmf : "", s.text ? " · says “" + s.text + "”" : "", s.next_step ? " → " + s.next_step : "")))));
  }
  function stepRow(s = {}) {
    const types = ["WAIT", "LISTEN", "DTMF", "SPEAK", "HOLD", "TRANSFER"];
    const tr = el("tr", {},
      el("td", {}, el("input", { name: "id", value: s.id || "", "aria-label": "Step id" })),
      el("td", {}, el("select", { name: "type", "aria-label": "Step type" }, ...types.map((t) => el("option", { selected: s.type === t }, t)))),
      el("td", {}, el("input", { name: "description", value: s.description || "", "aria-label": "Description" })),
      el("td", {}, el("input", { name: "dtmf", value: s.dtmf || "", "aria-label": "Keys" })),
      el("td", {}, el("input", { name: "text", value: s.text || "", "aria-label": "Text to say" })),
      el("td", {}, el("input", { name: "timeout", type: "number", step: "any", value: s.timeout ?? "", "aria-label": "Timeout seconds" })),
      el("td", {}, el("input", { name: "next_step", value: s.next_step || "", "aria-label": "Next step id" })),
      el("td", {}, el("button", { type: "button", "aria-label": "Remove step", onclick: (ev) => ev.currentTarget.closest("tr").remove() }, "✕")));
    return tr;
  }
  function openFlowForm(f) {
    const form = $("#flow-form");
    editingFlow = f ? f.id : null;
    $("#flow-form-title").textContent = f ? "Edit " + f.name : "New call flow";
    form.elements.name.value = f ? f.name : "";
    form.elements.company.value = f ? f.company : "";
    form.elements.phone_number.value = f ? f.phone_number : "";
    form.elements.tags.value = f ? (f.tags || []).join(", ") : "";
    $("tbody", form).replaceChildren(...((f && f.steps) || [{ id: "wait", type: "WAIT", next_step: "" }]).map(stepRow));
    showError($(".form-error", form), null);
    form.hidden = false;
    form.elements.name.focus();
  }
  async function editFlow(id) { openFlowForm(await api("GET", "/api/call-flows/" + encodeURIComponent(id))); }
  async function deleteFlow(f) {
    if (!confirm("Delete call flow “" + f.name + "”?")) return;
    try { await api("DELETE", "/api/call-flows/" + encodeURIComponent(f.id)); } catch (e) { alert(e.message); }
    showFlows();
  }
  $("#flow-new").addEventListener("click", () => openFlowForm(null));
  $("#flow-cancel").addEventListener("click", () => { $("#flow-form").hidden = true; });
  $("#step-add").addEventListener("click", () => $("#flow-form tbody").append(stepRow()));
  $("#flow-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const steps = $$("tbody tr", form).map((tr) => {
      const v = (n) => $("[name=" + n + "]", tr).value.trim();
      const s = { id: v("id"), type: v("type") };
      for (const k of ["description", "dtmf", "text", "next_step"]) if (v(k)) s[k] = v(k);
      if (v("timeout") !== "") s.timeout = Number(v("timeout"));
      return s;
    });
    const body = { name: form.elements.name.value.trim(), company: form.elements.company.value.trim(),
      phone_number: form.elements.phone_number.value.trim(),
      tags: form.elements.tags.value.split(",").map((t) => t.trim()).filter(Boolean), steps };
    try {
      if (editingFlow) await api("PUT", "/api/call-flows/" + encodeURIComponent(editingFlow), body);
      else await api("POST", "/api/call-flows", body);
      form.hidden = true;
      showFlows();
    } catch (e) { showError($(".form-error", form), e); }
  });

  // ---- Devices ----
  async function showDevices() {
    try {
      await loadDevices();
      $("#devices-table tbody").replaceChildren(...devices.map((d) => el("tr", {},
        el("td", {}, d.name), el("td", {}, d.type), el("td", {}, d.sip_uri || d.endpoint), el("td", {}, d.priority),
        el("td", {}, el("span", { class: d.is_online ? "online" : "offline" }, d.is_online ? "● online" : "○ offline")),
        el("td", {}, el("button", { type: "button", onclick: () => editDevice(d) }, "Edit"), " ",
          el("button", { type: "button", class: "danger", onclick: () => removeDevice(d) }, "Remove")))));
    } catch (e) { showError($("#device-form .form-error"), e); }
  }
  function editDevice(d) {
    const f = $("#device-form");
    f.elements.id.value = d ? d.id : "";
    f.elements.name.value = d ? d.name : "";
    f.elements.type.value = d ? d.type : "sip_phone";
    f.elements.sip_uri.value = d ? d.sip_uri : "";
    f.elements.endpoint.value = d ? d.endpoint : "";
    f.elements.priority.value = d ? d.priority : 10;
    f.elements.is_online.checked = d ? d.is_online : true;
    $("#device-form-title").textContent = d ? "Edit " + d.name : "Add a device";
    showError($(".form-error", f), null);
    f.elements.name.focus();
  }
  async function removeDevice(d) {
    if (!confirm("Remove device “" + d.name + "”?")) return;
    try { await api("DELETE", "/api/devices/" + encodeURIComponent(d.id)); } catch (e) { alert(e.message); }
    showDevices();
  }
  $("#device-cancel").addEventListener("click", () => editDevice(null));
  $("#device-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    const body = { name: f.elements.name.value.trim(), type: f.elements.type.value, sip_uri: f.elements.sip_uri.value.trim(),
      endpoint: f.elements.endpoint.value.trim(), priority: Number(f.elements.priority.value || 0), is_online: f.elements.is_online.checked };
    const id = f.elements.id.value;
    try {
      if (id) await api("PUT", "/api/devices/" + encodeURIComponent(id), body);
      else await api("POST", "/api/devices", body);
      editDevice(null);
      showDevices();
    } catch (e) { showError($(".form-error", f), e); }
  });

  // ---- Analytics (shown only when the API has it) ----
  async function probeAnalytics() {
    try {
      const d = await api("GET", "/api/analytics/summary");
      $("#nav-analytics").hidden = false;
      return d;
    } catch (e) {
      $("#nav-analytics").hidden = true;
      return null;
    }
  }
  function barChart(title, rows, labelKey, valueKey, fmt) {
    const n = rows.length, bw = 40, gap = 12, hgt = 160;
    const max = Math.max(1e-9, ...rows.map((r) => Number(r[valueKey]) || 0));
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 " + Math.max(200, n * (bw + gap) + gap) + " " + (hgt + 40));
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", title);
    rows.forEach((r, i) => {
      const v = Number(r[valueKey]) || 0, bh = (v / max) * hgt, x = gap + i * (bw + gap);
      const rect = document.createElementNS(svgNS, "rect");
      Object.entries({ x, y: hgt - bh + 10, width: bw, height: bh, fill: "#1f6feb" }).forEach(([k, val]) => rect.setAttribute(k, val));
      const tt = document.createElementNS(svgNS, "title"); tt.textContent = r[labelKey] + ": " + fmt(v); rect.append(tt);
      const lab = document.createElementNS(svgNS, "text");
      Object.entries({ x: x + bw / 2, y: hgt + 28, "text-anchor": "middle", "font-size": 10 }).forEach(([k, val]) => lab.setAttribute(k, val));
      lab.textContent = String(r[labelKey]).slice(0, 10);
      const val = document.createElementNS(svgNS, "text");
      Object.entries({ x: x + bw / 2, y: hgt - bh + 6, "text-anchor": "middle", "font-size": 10 }).forEach(([k, vv]) => val.setAttribute(k, vv));
      val.textContent = fmt(v);
      svg.append(rect, lab, val);
    });
    return el("figure", { class: "chart" }, el("figcaption", {}, title), svg);
  }
  const pretty = (k) => k.replace(/_/g, " ");
  const fmtVal = (k) => (/rate|ratio|percent/.test(k) ? (v) => Math.round(v * (v <= 1 ? 100 : 1)) + "%" : /hold|time|wait|seconds|duration/.test(k) ? fmtDur : (v) => String(Math.round(v * 10) / 10));
  async function showAnalytics() {
    const d = await probeAnalytics();
    const box = $("#analytics");
    if (!d) { box.replaceChildren(el("p", { class: "muted" }, "Analytics are not available.")); return; }
    const tiles = el("div", { class: "stat-tiles" });
    const charts = [];
    for (const [k, v] of Object.entries(d)) {
      if (typeof v === "number") tiles.append(el("div", {}, el("span", { class: "muted" }, pretty(k)), el("b", {}, fmtVal(k)(v))));
      else if (Array.isArray(v) && v.length && typeof v[0] === "object") {
        const keys = Object.keys(v[0]);
        const labelKey = keys.find((x) => typeof v[0][x] === "string") || keys.find((x) => /hour|day/.test(x)) || keys[0];
        keys.filter((x) => x !== labelKey && typeof v[0][x] === "number").forEach((vk) => charts.push(barChart(pretty(k) + ": " + pretty(vk), v, labelKey, vk, fmtVal(vk))));
      }
    }
    box.replaceChildren(tiles, ...charts);
  }

  loaders.history = loadHistory;
  loaders.flows = showFlows;
  loaders.devices = showDevices;
  loaders.analytics = showAnalytics;

  // ---- Start ----
  async function start() {
    try {
      await loadActive();
    } catch (e) { showError($("#call-form .form-error"), e); }
    connect();
    loadDevices().catch(() => {});
    loadFlows().catch(() => {});
    probeAnalytics();
    document.body.dataset.ready = "true";
  }
  start();
})();

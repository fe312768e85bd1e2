// The operator console: polls /ui/state every second and draws it; validates and applies config
// documents with the admin token. Everything from the gateway is put in the page as text
// (textContent), never as markup. The token stays in this page's memory: it is never shown,
// stored or sent anywhere but in the Authorization header of validate and apply.
(function () {
  "use strict";
  const POLL_MS = 1000;
  let previous = null; // the last state, for rates
  let view = "routes";

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children || []) e.appendChild(c);
    return e;
  }
  const td = (text, cls) => el("td", { text: text === undefined || text === null ? "" : String(text), class: cls || "" });
  const $ = (id) => document.getElementById(id);

  function rate(now, before, seconds) {
    if (before === undefined || seconds <= 0) return "";
    return Math.max(0, (now - before) / seconds).toFixed(1);
  }

  // ---- views ------------------------------------------------------------------------------

  function target(t) {
    const cell = el("td");
    if (t.kind === "cluster") {
      cell.appendChild(el("span", { text: "cluster " + t.cluster }));
    } else if (t.kind === "split") {
      cell.appendChild(el("div", { class: "split-text", text: t.split.map((w) => w.cluster + " " + w.percent + "%").join(" / ") }));
      const bar = el("div", { class: "split" });
      for (const w of t.split) bar.appendChild(el("span", { title: w.cluster + " weight " + w.weight, style: "width:" + w.percent + "%" }));
      cell.appendChild(bar);
      if (t.splitKey) cell.appendChild(el("div", { class: "muted", text: "bucket by " + t.splitKey }));
      if (t.canary) cell.appendChild(el("div", { class: "muted", text: "canary: " + t.canary }));
    } else if (t.kind === "direct") {
      cell.appendChild(el("span", { text: "answers by itself: " + t.status }));
    } else if (t.kind === "geo") {
      cell.appendChild(el("div", { text: "geo (" + t.mode + ", failover below " + t.minHealthyPercent + "% healthy)" }));
      for (const r of t.regions) {
        cell.appendChild(el("div", { class: "muted", text: r.region + " -> " + r.cluster + (r.failover.length ? ", then " + r.failover.join(", ") : "") }));
      }
    }
    if (t.sticky) cell.appendChild(el("div", { class: "muted", text: "sticky: " + t.sticky }));
    if (t.mirror) cell.appendChild(el("div", { class: "muted", text: "mirrored: " + t.mirror }));
    return cell;
  }

  // A route's rollout: state, step and canary share, and the gates' figures for the step.
  function rollout(ro) {
    if (!ro) return td("none", "muted");
    const cell = el("td", { class: "rollout", "data-rollout-state": ro.state, "data-rollout-step": String(ro.step || 0) });
    const head = ro.state + (ro.step ? " · step " + ro.step + "/" + ro.steps.length + " · " + ro.canary + " " + ro.percent + "%" : "");
    cell.appendChild(el("div", { class: ro.state === "rolled_back" || ro.state === "aborted" ? "unhealthy"
      : ro.state === "paused" ? "degraded" : "healthy", text: head }));
    if (ro.gates) {
      const g = ro.gates;
      const pct = (v) => (v === null ? "?" : (100 * v).toFixed(2) + "%");
      const ms = (v) => (v === null ? "?" : v + " ms");
      cell.appendChild(el("div", { class: "muted", text: "errors " + pct(g.canaryErrorRatio) + " vs " + pct(g.stableErrorRatio)
        + " · p99 " + ms(g.canaryP99Millis) + " vs " + ms(g.stableP99Millis) + " · " + g.canaryRequests + "/" + g.minRequests + " req" }));
    }
    if (ro.note || ro.reason) cell.appendChild(el("div", { class: "muted", text: ro.note || ro.reason }));
    return cell;
  }

  function drawRoutes(s, seconds) {
    const body = $("routes").tBodies[0];
    body.replaceChildren();
    const before = previous ? Object.fromEntries(previous.routes.map((r) => [r.name, r])) : {};
    for (const r of s.routes) {
      const b = before[r.name];
      const perSecond = b ? rate(r.requests, b.requests, seconds) : "";
      const answered = b ? r.requests - b.requests : 0;
      const errors = b ? r.errors5xx - b.errors5xx : 0;
      const ratio = b && answered > 0 ? (100 * errors / answered).toFixed(1) + "%" : b ? "-" : "";
      body.appendChild(el("tr", { "data-route": r.name }, [
        td(r.name), td(r.match), target(r.target), rollout(r.rollout),
        td(r.limits.join(", ")), td(perSecond, "num"), td(ratio, "num")]));
    }
  }

  function drawClusters(s) {
    const box = $("clusters");
    box.replaceChildren();
    for (const c of s.clusters.clusters.slice().sort((x, y) => x.name.localeCompare(y.name))) {
      const rows = c.endpoints.map((e) => {
        const ejected = e.ejected ? "ejected, " + (e.ejectedForMillis / 1000).toFixed(1) + " s left" : "";
        return el("tr", { "data-endpoint": e.address, "data-health": e.health, "data-available": String(e.available) }, [
          td(e.address), td(c.healthChecked ? e.health : "not checked", c.healthChecked ? e.health : "muted"),
          td(e.available ? "yes" : "no", e.available ? "healthy" : "unhealthy"), td(ejected), td(e.breaker.replace("_", "-"), e.breaker),
          td(e.inFlight, "num"), td(e.ewmaLatencyMillis, "num")]);
      });
      const table = el("table", {}, [
        el("thead", {}, [el("tr", {}, ["endpoint", "health", "available", "ejection", "breaker", "in flight", "EWMA ms"]
          .map((h, i) => el("th", { text: h, class: i >= 5 ? "num" : "" })))]),
        el("tbody", {}, rows)]);
      box.appendChild(el("div", { class: "cluster", "data-cluster": c.name }, [
        el("h2", { text: c.name }),
        el("div", { class: "limits", text: "requests " + c.requests + " / " + c.maxRequests + " · pending " + c.pendingRequests + " / "
          + c.maxPendingRequests + " · connections " + c.connections + " / " + c.maxConnections + " · retries in flight " + c.activeRetries }),
        table]));
    }
  }

  function drawLimits(s, seconds) {
    $("redis-line").textContent = "Redis for distributed limits: " + s.redis;
    const body = $("limits").tBodies[0];
    body.replaceChildren();
    const before = {};
    if (previous) for (const p of previous.rateLimits) before[p.route + "/" + p.policy] = p.decisions;
    if (s.rateLimits.length === 0) body.appendChild(el("tr", {}, [el("td", { text: "no route has a rate limit", colSpan: 5, class: "muted" })]));
    for (const p of s.rateLimits) {
      for (const [outcome, n] of Object.entries(p.decisions)) {
        const b = before[p.route + "/" + p.policy];
        body.appendChild(el("tr", {}, [td(p.route), td(p.policy), td(outcome.replace("_", " "), outcome),
          td(b ? rate(n, b[outcome], seconds) : "", "num"), td(n, "num")]));
      }
    }
  }

  function errorList(errors) {
    return el("ul", { class: "errors" }, errors.map((e) =>
      el("li", { text: "line " + e.line + ", column " + e.column + (e.field ? ", " + e.field : "") + ": " + e.message })));
  }

  function drawReloads(s) {
    const body = $("reloads").tBodies[0];
    body.replaceChildren();
    for (const r of s.reloads.slice().reverse()) {
      const what = el("td", { text: r.outcome === "invalid" ? "rejected; still serving generation " + r.generation : r.changes });
      if (r.errors.length) what.appendChild(errorList(r.errors));
      body.appendChild(el("tr", { "data-generation": String(r.generation), "data-outcome": r.outcome }, [
        td(r.generation), td(new Date(r.epochMillis).toLocaleString()), td(r.via), td(r.outcome, r.outcome), what]));
    }
  }

  function draw(s) {
    const seconds = previous ? (s.nowMillis - previous.nowMillis) / 1000 : 0;
    $("generation").textContent = "generation " + s.generation;
    $("generation").title = s.source + " · sha256 " + s.sha256;
    $("generation").dataset.generation = String(s.generation);
    $("readiness").textContent = s.readiness.split(" (")[0];
    $("readiness").title = s.readiness;
    $("readiness").className = "pill " + (s.readiness.startsWith("ready") ? "ok" : "bad");
    $("redis").textContent = "redis " + s.redis;
    $("redis").className = "pill " + (s.redis === "down" ? "bad" : s.redis === "up" ? "ok" : "");
    $("updated").textContent = "updated " + new Date(s.nowMillis).toLocaleTimeString();
    drawRoutes(s, seconds);
    drawClusters(s);
    drawLimits(s, seconds);
    drawReloads(s);
    previous = s;
  }

  async function poll() {
    try {
      const r = await fetch("/ui/state", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      draw(await r.json());
    } catch (e) {
      $("updated").textContent = "cannot reach the gateway's admin port (" + e.message + "); retrying";
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  // ---- config: validate, then apply with the change summary shown first ---------------------

  function headers() {
    const h = { "content-type": "application/yaml" };
    const token = $("token").value.trim();
    if (token) h.authorization = "Bearer " + token;
    return h;
  }

  function annotate(text, errors) {
    const list = $("annotated");
    list.replaceChildren();
    const byLine = {};
    for (const e of errors) (byLine[e.line] = byLine[e.line] || []).push(e);
    text.split("\n").forEach((line, i) => {
      const n = i + 1;
      const item = el("li", { text: line, "data-line": String(n) });
      if (byLine[n]) {
        item.className = "err";
        for (const e of byLine[n]) item.appendChild(el("div", { class: "msg", text: "column " + e.column + (e.field ? ", " + e.field : "") + ": " + e.message }));
      }
      list.appendChild(item);
    });
    const unplaced = errors.filter((e) => !e.line);
    if (unplaced.length) $("result").appendChild(errorList(unplaced));
  }

  async function send(method, path) {
    const text = $("doc").value;
    const r = await fetch(path, { method: method, headers: headers(), body: text });
    let body = {};
    try { body = await r.json(); } catch (e) { body = { error: "HTTP " + r.status }; }
    return { status: r.status, body: body, text: text };
  }

  function say(cls, text) {
    $("result").replaceChildren(el("div", { class: cls, text: text }));
  }

  function refused(res) {
    if (res.status === 401 || res.status === 403) {
      say("bad", res.body.error + (res.status === 401 ? " (enter the admin token at the top)" : ""));
      return true;
    }
    return false;
  }

  async function validate() {
    $("annotated").replaceChildren();
    const res = await send("POST", "/config/validate");
    if (refused(res)) return null;
    if (res.body.outcome === "invalid") {
      say("bad", res.body.errors.length + " error" + (res.body.errors.length === 1 ? "" : "s") + ": nothing was changed");
      $("result").appendChild(errorList(res.body.errors));
      annotate(res.text, res.body.errors);
      return null;
    }
    say("ok", "valid; if applied: " + res.body.changes);
    return res.body;
  }

  async function apply() {
    const checked = await validate();
    if (!checked) return;
    say("ok", "would change: " + checked.changes);
    const confirm = el("button", { type: "button", id: "confirm-apply", text: "Apply as generation " + checked.generation });
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      const res = await send("PUT", "/config");
      if (refused(res)) return;
      if (res.body.outcome === "invalid") {
        say("bad", "rejected: nothing was changed");
        $("result").appendChild(errorList(res.body.errors));
        annotate(res.text, res.body.errors);
        return;
      }
      say("ok", res.body.outcome + ": generation " + res.body.generation + " (" + res.body.changes + ")");
    });
    $("result").appendChild(confirm);
  }

  async function loadRunning() {
    const r = await fetch("/config", { cache: "no-store" });
    $("doc").value = await r.text();
    $("config-status").textContent = "the running config, generation " + r.headers.get("x-config-generation");
    $("annotated").replaceChildren();
    $("result").replaceChildren();
  }

  // ---- wiring -------------------------------------------------------------------------------

  for (const b of document.querySelectorAll("nav button")) {
    b.addEventListener("click", () => {
      view = b.dataset.view;
      for (const x of document.querySelectorAll("nav button")) x.classList.toggle("active", x === b);
      for (const s of document.querySelectorAll("main section")) s.hidden = s.id !== "view-" + view;
    });
  }
  $("validate").addEventListener("click", validate);
  $("apply").addEventListener("click", apply);
  $("load-running").addEventListener("click", loadRunning);
  poll();
})();

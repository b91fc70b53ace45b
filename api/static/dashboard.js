// The sitex dashboard: plain JavaScript the browser runs as it is (no build step).
//
// Market data (ladder, tape, ticker, index, the curve's tickers) comes over the WebSocket API
// at /v1/ws: each channel's snapshot, then its deltas. A book delta whose prev_seq is not the
// last seq applied means a lost message: the page resubscribes and starts from a fresh
// snapshot. The history the charts start from, the account's balances and the session panel
// come from REST. An API key, typed into the page, is kept in this tab's sessionStorage and
// sent only in the socket's `auth` message and the X-API-Key header: never in a URL.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "sitex.apiKey";
  const KEY_HINT = $("key-hint").textContent; // what the page says before a key is given
  const LEVELS = 12; // price levels shown a side
  const TAPE = 24; // trades shown
  const WINDOW_S = 15 * 60; // the price chart's time window
  const WS_URL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/ws";

  const state = {
    contracts: [], symbol: null,
    book: { seq: null, bids: new Map(), asks: new Map() },
    tape: [], seen: new Set(), lastTrades: [], // newest first; the chart's [t, price]
    tickers: new Map(), index: { SIT: [], GPU: [] }, fundamental: {},
    accountId: null, orders: new Map(), account: null,
  };

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
    return e;
  }
  const num = (s) => (s === null || s === undefined ? null : parseFloat(s));
  const time = (ns) => new Date(ns / 1e6).toISOString().slice(11, 19);
  const contract = (sym) => state.contracts.find((c) => c.symbol === sym);
  const product = () => (contract(state.symbol) || {}).product || "SIT";
  function throttle(fn, ms) {
    let timer = null;
    return () => { if (!timer) timer = setTimeout(() => { timer = null; fn(); }, ms); };
  }
  async function getJSON(path, withKey) {
    const headers = {};
    if (withKey) headers["X-API-Key"] = sessionStorage.getItem(KEY) || "";
    const r = await fetch(path, { headers });
    if (!r.ok) throw Object.assign(new Error(`${path}: ${r.status}`), { status: r.status });
    return r.json();
  }

  // ------------------------------------------------------------------ the connection

  const feed = {
    ws: null, nextId: 1, pending: new Map(), backoff: 500, lastMessage: 0,

    connect() {
      setStatus("connecting", "connecting…");
      const ws = new WebSocket(WS_URL);
      this.ws = ws;
      ws.onopen = () => { this.backoff = 500; this.lastMessage = Date.now(); setStatus("open", "live"); onOpen(); };
      ws.onmessage = (ev) => { this.lastMessage = Date.now(); this.dispatch(JSON.parse(ev.data)); };
      ws.onerror = () => ws.close();
      ws.onclose = () => {
        if (this.ws !== ws) return;
        this.ws = null;
        for (const p of this.pending.values()) p.reject(new Error("connection lost"));
        this.pending.clear();
        const delay = this.backoff;
        this.backoff = Math.min(this.backoff * 2, 8000);
        setStatus("closed", `offline, reconnecting in ${(delay / 1000).toFixed(1)} s`);
        setTimeout(() => this.connect(), delay);
      };
    },

    request(op, body) {
      return new Promise((resolve, reject) => {
        if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
          return reject(new Error("not connected to the server, nothing was sent (the page reconnects by itself)"));
        }
        const id = this.nextId++;
        this.pending.set(id, { resolve, reject });
        this.ws.send(JSON.stringify({ op, id, ...body }));
        setTimeout(() => { if (this.pending.delete(id)) reject(new Error(`${op}: no answer`)); }, 10000);
      });
    },

    dispatch(msg) {
      if (msg.id !== undefined && msg.id !== null && (msg.type === "result" || msg.type === "error")) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.type === "result") p.resolve(msg.data);
        else p.reject(Object.assign(new Error(msg.error.detail || msg.error.title), { code: msg.error.code }));
        return;
      }
      const ch = msg.channel || "";
      if (ch.startsWith("book.")) onBook(msg);
      else if (ch.startsWith("trades.")) onTrade(msg);
      else if (ch.startsWith("ticker.")) onTicker(msg);
      else if (ch.startsWith("index.")) onIndex(msg);
      else if (ch === "orders") onOrders(msg);
      else if (ch === "fills") onFill(msg);
      else if (ch === "positions" || ch === "margin") onPrivate(msg);
    },
  };

  // a socket that has heard nothing (not even a heartbeat, sent after 10 s of quiet) is dead
  setInterval(() => {
    if (feed.ws && feed.ws.readyState === WebSocket.OPEN && Date.now() - feed.lastMessage > 30000) feed.ws.close();
  }, 5000);

  function setStatus(st, text) {
    const s = $("connection");
    s.dataset.state = st;
    s.textContent = text;
  }

  async function onOpen() {
    try {
      await subscribeMarket();
      if (sessionStorage.getItem(KEY)) await authenticate(sessionStorage.getItem(KEY));
    } catch (e) {
      console.warn(e);
    }
    loadHistory();
  }

  function marketChannels() {
    const s = state.symbol;
    const tickers = state.contracts.map((c) => "ticker." + c.symbol);
    return ["book." + s, "trades." + s, "index.SIT", "index.GPU", ...tickers];
  }

  async function subscribeMarket() {
    state.book = { seq: null, bids: new Map(), asks: new Map() };
    await feed.request("subscribe", { channels: marketChannels(), depth: 50 });
  }

  async function resubscribeBook() {
    const ch = "book." + state.symbol;
    state.book.seq = null; // deltas are ignored until the new snapshot
    try {
      await feed.request("unsubscribe", { channels: [ch] });
      await feed.request("subscribe", { channels: [ch], depth: 50 });
    } catch (e) { console.warn(e); }
  }

  // ------------------------------------------------------------------ market data

  function onBook(msg) {
    if (msg.channel !== "book." + state.symbol) return;
    const b = state.book;
    if (msg.type === "snapshot") {
      b.bids = new Map(msg.data.bids);
      b.asks = new Map(msg.data.asks);
      b.seq = msg.seq;
    } else if (msg.type === "delta") {
      if (b.seq === null) return; // waiting for a snapshot
      if (msg.prev_seq !== b.seq) { resubscribeBook(); return; } // a gap: start again
      const side = msg.data.side === "bid" ? b.bids : b.asks;
      if (msg.data.qty === 0) side.delete(msg.data.price); else side.set(msg.data.price, msg.data.qty);
      b.seq = msg.seq;
    }
    renderLadder();
  }

  function addTrade(t, fresh) {
    if (state.seen.has(t.trade_id)) return;
    state.seen.add(t.trade_id);
    state.tape.unshift({ ...t, fresh });
    state.tape.sort((a, b) => b.trade_id - a.trade_id);
    state.tape.length = Math.min(state.tape.length, TAPE);
    state.lastTrades.push([t.ts / 1e9, num(t.price), t.trade_id]);
    if (state.lastTrades.length > 5000) state.lastTrades.splice(0, state.lastTrades.length - 5000);
  }

  function onTrade(msg) {
    if (msg.channel !== "trades." + state.symbol) return;
    addTrade(msg.data, true);
    renderTape();
    renderChart();
  }

  function onTicker(msg) {
    state.tickers.set(msg.data.symbol, msg.data);
    if (msg.data.symbol === state.symbol) renderTicker();
    renderCurve();
  }

  function onIndex(msg) {
    const d = msg.data;
    const series = state.index[d.name] || (state.index[d.name] = []);
    series.push([d.timestamp / 1e9, num(d.value)]);
    if (series.length > 2000) series.splice(0, series.length - 2000);
    renderChart();
    renderCurve();
  }

  async function loadHistory() {
    const sym = state.symbol;
    try {
      const [trades, index] = await Promise.all([
        getJSON(`/v1/trades/${sym}?limit=1000`), getJSON(`/v1/index/${product()}?history=500`)]);
      if (sym !== state.symbol) return;
      for (const t of trades.slice().reverse()) addTrade(t, false);
      const byId = new Map(state.lastTrades.map((p) => [p[2], p]));
      state.lastTrades = [...byId.values()].sort((a, b) => a[2] - b[2]);
      state.index[product()] = index.history.map((p) => [p.timestamp / 1e9, num(p.value)]);
    } catch (e) { console.warn(e); }
    renderTape(); renderChart(); renderCurve();
  }

  // ------------------------------------------------------------------ the ladder and the tape

  function mine() {
    const out = { bid: new Map(), ask: new Map() };
    for (const o of state.orders.values()) {
      if (o.symbol !== state.symbol || o.price === null) continue;
      const m = o.side === "buy" ? out.bid : out.ask;
      m.set(o.price, (m.get(o.price) || 0) + o.remaining);
    }
    return out;
  }

  const renderLadder = throttle(() => {
    const b = state.book;
    const asks = [...b.asks.entries()].sort((x, y) => num(x[0]) - num(y[0])).slice(0, LEVELS).reverse();
    const bids = [...b.bids.entries()].sort((x, y) => num(y[0]) - num(x[0])).slice(0, LEVELS);
    const biggest = Math.max(1, ...asks.map((l) => l[1]), ...bids.map((l) => l[1]));
    const my = mine();
    const bar = (qty, color) => `linear-gradient(to left, ${color} ${Math.round((100 * qty) / biggest)}%, transparent 0)`;
    const rows = [];
    for (const [price, qty] of asks) {
      const q = el("td", { class: "qty", text: qty });
      q.style.backgroundImage = bar(qty, "rgba(244,63,94,.18)");
      rows.push(el("tr", { "data-side": "ask", "data-price": price },
        el("td"), el("td"), el("td", { class: "price", text: price }), q,
        el("td", { class: "mine", text: my.ask.get(price) || "" })));
    }
    const spread = asks.length && bids.length ? (num(asks[asks.length - 1][0]) - num(bids[0][0])).toFixed(3) : "–";
    rows.push(el("tr", { class: "spread" }, el("td", { colspan: 5, text: `spread ${spread}` })));
    for (const [price, qty] of bids) {
      const q = el("td", { class: "qty", text: qty });
      q.style.backgroundImage = bar(qty, "rgba(34,197,94,.18)").replace("to left", "to right");
      rows.push(el("tr", { "data-side": "bid", "data-price": price },
        el("td", { class: "mine", text: my.bid.get(price) || "" }), q,
        el("td", { class: "price", text: price }), el("td"), el("td")));
    }
    $("ladder-rows").replaceChildren(...rows);
    $("book-seq").textContent = b.seq === null ? "(syncing)" : `seq ${b.seq}`;
  }, 100);

  const renderTape = throttle(() => {
    $("tape-rows").replaceChildren(...state.tape.map((t) => el("tr",
      { "data-trade-id": t.trade_id, class: t.fresh ? "new" : null },
      el("td", { text: time(t.ts) }), el("td", { text: t.price }), el("td", { text: t.qty }),
      el("td", { class: t.side, text: t.side }))));
    for (const t of state.tape) t.fresh = false;
  }, 100);

  function renderTicker() {
    const t = state.tickers.get(state.symbol);
    if (!t) return;
    const part = (label, v) => [label + " ", el("b", { text: v ?? "–" }), "  "];
    $("ticker").replaceChildren(...part("bid", t.best_bid), ...part("ask", t.best_ask),
      ...part("last", t.last), ...part("volume", t.volume), t.trading_state);
  }

  // ------------------------------------------------------------------ charts (uPlot)

  let priceChart = null;
  let curveChart = null;

  function merge(seriesList) {
    // uPlot wants one x array: the union of the series' times, null where a series has none
    const xs = new Set();
    for (const s of seriesList) for (const p of s) xs.add(p[0]);
    const x = [...xs].sort((a, b) => a - b);
    const at = new Map(x.map((t, i) => [t, i]));
    const ys = seriesList.map((s) => {
      const y = new Array(x.length).fill(null);
      for (const p of s) y[at.get(p[0])] = p[1];
      return y;
    });
    return [x, ...ys];
  }

  const renderChart = throttle(() => {
    const box = $("price-chart");
    const now = Date.now() / 1000;
    const recent = (s) => s.filter((p) => p[0] >= now - WINDOW_S);
    const name = product();
    // an index holds its value until the next publication: carried forward to now
    const index = recent(state.index[name] || []);
    if (index.length) index.push([now, index[index.length - 1][1]]);
    const data = merge([recent(state.lastTrades), index, recent(state.fundamental[name] || [])]);
    if (!priceChart) {
      const fmt = (u, v) => (v === null || v === undefined ? "–" : v.toFixed(3));
      priceChart = new uPlot({
        width: box.clientWidth || 600, height: 230, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ stroke: "#7d8aa6", grid: { stroke: "#1f2a44" } },
          { stroke: "#7d8aa6", grid: { stroke: "#1f2a44" }, size: 55, values: (u, vs) => vs.map((v) => v.toFixed(3)) }],
        series: [{},
          { label: "futures (trades)", stroke: "#38bdf8", width: 1.5, spanGaps: true, value: fmt },
          { label: "index", stroke: "#f59e0b", width: 1.5, spanGaps: true, value: fmt,
            paths: uPlot.paths.stepped({ align: 1 }) },
          { label: "fundamental", stroke: "#a78bfa", width: 1, dash: [4, 3], spanGaps: true, value: fmt }],
      }, data, box);
    } else {
      priceChart.setData(data);
    }
    $("chart-note").textContent = `${state.symbol || ""} against the ${name} index, last ${WINDOW_S / 60} min`;
  }, 250);

  const renderCurve = throttle(() => {
    const box = $("curve");
    const listed = state.contracts.filter((c) => c.product === product() && c.trading_state !== "expired");
    const xs = listed.map((c) => c.last_trade_ts / 1e9);
    const price = listed.map((c) => {
      const t = state.tickers.get(c.symbol) || {};
      const bid = num(t.best_bid), ask = num(t.best_ask);
      return num(t.last) ?? (bid !== null && ask !== null ? (bid + ask) / 2 : num(t.reference));
    });
    const idx = state.index[product()] || [];
    const level = idx.length ? idx[idx.length - 1][1] : null;
    const data = [xs, price, xs.map(() => level)];
    const names = new Map(listed.map((c) => [c.last_trade_ts / 1e9, c.symbol]));
    if (curveChart) curveChart.destroy();
    curveChart = new uPlot({
      width: box.clientWidth || 600, height: 150, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [{ stroke: "#7d8aa6", grid: { stroke: "#1f2a44" }, splits: () => xs,
        values: (u, vs) => vs.map((v) => names.get(v) || "") },
      { stroke: "#7d8aa6", grid: { stroke: "#1f2a44" }, size: 55, values: (u, vs) => vs.map((v) => v.toFixed(3)) }],
      series: [{ value: (u, v) => names.get(v) || "" },
        { label: "futures (last, else mid, else reference)", stroke: "#38bdf8", width: 1.5,
          points: { show: true, size: 7, fill: "#38bdf8" }, spanGaps: true,
          value: (u, v) => (v === null ? "–" : v.toFixed(3)) },
        { label: "index now", stroke: "#f59e0b", width: 1, dash: [4, 3],
          value: (u, v) => (v === null ? "–" : v.toFixed(3)) }],
    }, data, box);
  }, 1000);

  window.addEventListener("resize", () => {
    if (priceChart) priceChart.setSize({ width: $("price-chart").clientWidth, height: 230 });
    renderCurve();
  });

  // ------------------------------------------------------------------ the account

  async function authenticate(key) {
    const r = await feed.request("auth", { api_key: key });
    state.accountId = r.account_id;
    sessionStorage.setItem(KEY, key);
    $("account-id").textContent = r.account_id;
    $("forget-key").hidden = false;
    $("use-key").hidden = true;
    $("api-key").hidden = true;
    $("submit-order").disabled = false;
    $("key-hint").textContent = "Key kept in this tab only (session storage).";
    state.orders.clear();
    await feed.request("subscribe", { channels: ["orders", "fills", "positions", "margin"] });
    loadAccount();
  }

  function forget() {
    sessionStorage.removeItem(KEY);
    state.accountId = null; state.account = null; state.orders.clear();
    $("account-id").textContent = "";
    $("forget-key").hidden = true; $("use-key").hidden = false; $("api-key").hidden = false;
    $("submit-order").disabled = true;
    $("key-hint").textContent = KEY_HINT;
    renderAccount(); renderOrders(); renderLadder();
    if (feed.ws) feed.ws.close(); // a new connection, not authenticated
  }

  $("key-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = $("api-key");
    const key = input.value.trim();
    input.value = "";
    if (!key) return;
    try {
      await authenticate(key);
    } catch (e) {
      $("key-hint").textContent = `That key was refused: ${e.message}`;
    }
  });
  $("forget-key").addEventListener("click", forget);

  async function loadAccount() {
    if (!sessionStorage.getItem(KEY)) return;
    try {
      state.account = await getJSON("/v1/account", true);
    } catch (e) {
      if (e.status === 401) { forget(); $("key-hint").textContent = "The key was refused."; }
      return;
    }
    renderAccount();
  }
  const refreshAccount = throttle(loadAccount, 250);
  setInterval(loadAccount, 2000);

  function renderAccount() {
    const a = state.account;
    const rows = a ? [["cash", a.cash], ["equity", a.equity], ["initial margin", a.initial_margin],
      ["maintenance margin", a.maintenance_margin], ["order margin", a.order_margin],
      ["excess", a.excess], ["withdrawable", a.withdrawable]] : [];
    $("balances").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v ?? "–" })]));
    $("margin-call").hidden = !(a && a.margin_call);
    $("position-rows").replaceChildren(...(a ? a.positions : []).map((p) => el("tr",
      { "data-symbol": p.symbol },
      el("td", { text: p.symbol }), el("td", { class: p.qty > 0 ? "yes" : "no", text: p.qty }),
      el("td", { text: p.mark ?? "–" }), el("td", { text: p.unsettled_pnl ?? "–" }))));
  }

  function onPrivate(msg) {
    if (msg.channel === "margin") $("margin-call").hidden = msg.type !== "margin_call";
    refreshAccount();
  }

  // ------------------------------------------------------------------ orders

  function keepOrder(o) {
    state.orders.set(o.order_id, {
      order_id: o.order_id, symbol: o.symbol, side: o.side, price: o.price,
      remaining: o.remaining_qty ?? o.qty, status: o.status,
    });
  }

  function onOrders(msg) {
    const d = msg.data;
    if (msg.type === "snapshot") { state.orders.clear(); d.forEach(keepOrder); }
    else if (msg.type === "order_accepted") keepOrder(d);
    else if (msg.type === "order_cancelled" || msg.type === "order_expired") state.orders.delete(d.order_id);
    else if (msg.type === "order_amended") {
      const o = state.orders.get(d.order_id);
      if (o) { o.price = d.price; o.remaining = d.remaining; }
    } else if (msg.type === "order_triggered") {
      const o = state.orders.get(d.order_id);
      if (o) o.status = "new";
    }
    renderOrders(); renderLadder();
  }

  function onFill(msg) {
    const o = state.orders.get(msg.data.order_id);
    if (o) {
      o.remaining -= msg.data.qty;
      if (o.remaining <= 0) state.orders.delete(o.order_id);
    }
    renderOrders(); renderLadder(); refreshAccount();
  }

  function renderOrders() {
    const rows = [...state.orders.values()].sort((a, b) => b.order_id - a.order_id).map((o) => {
      const cancel = el("button", { type: "button", class: "cancel", "data-testid": "cancel-order", text: "cancel" });
      cancel.addEventListener("click", () => cancelOrder(o.order_id, cancel));
      return el("tr", { "data-order-id": o.order_id },
        el("td", { text: o.order_id }), el("td", { text: o.symbol }), el("td", { class: o.side, text: o.side }),
        el("td", { text: o.price ?? "market" }), el("td", { text: o.remaining }), el("td", {}, cancel));
    });
    $("order-rows").replaceChildren(...rows);
  }

  function showResult(text, ok) {
    const r = $("order-result");
    r.textContent = text;
    r.className = "result " + (ok ? "ok" : "err");
  }

  async function cancelOrder(id, button) {
    button.disabled = true;
    try {
      await feed.request("cancel", { order_id: id });
      state.orders.delete(id);
      showResult(`order ${id} cancelled`, true);
    } catch (e) {
      showResult(`cancel ${id}: ${e.code || ""} ${e.message}`, false);
      button.disabled = false;
    }
    renderOrders(); renderLadder();
  }

  const form = $("order-form");
  form.elements.type.addEventListener("change", () => {
    const market = form.elements.type.value === "market";
    form.elements.price.disabled = market;
    if (market) form.elements.time_in_force.value = "IOC";
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    // the form does not validate (novalidate): the server refuses a bad order with its reason,
    // shown below the form. A quantity that is not a whole number goes as typed (parseInt
    // would turn 1.5 into an order for 1 lot); an empty price is left out (MISSING_PRICE).
    const qty = f.qty.value.trim();
    const params = {
      symbol: state.symbol, side: f.side.value, type: f.type.value,
      qty: /^-?[0-9]{1,15}$/.test(qty) ? Number(qty) : qty,
      time_in_force: f.time_in_force.value, post_only: f.post_only.checked,
    };
    const price = f.price.value.trim();
    if (params.type === "limit" && price) params.price = price;
    try {
      const r = await feed.request("order", { params });
      showResult(`order ${r.order_id} ${r.status}: ${r.filled_qty} filled, ${r.remaining_qty} open`, true);
    } catch (e) {
      showResult(`${e.code || "error"}: ${e.message}`, false);
    }
  });

  // ------------------------------------------------------------------ the session panel

  async function loadSession() {
    let s;
    try { s = await getJSON("/v1/session?history=500"); } catch (e) { return; }
    for (const [name, pts] of Object.entries(s.fundamental)) {
      state.fundamental[name] = pts.map((p) => [p.timestamp / 1e9, num(p.value)]);
    }
    $("fundamental-label").hidden = s.index_source !== "feed";
    const ob = s.obligation;
    $("session-note").textContent = ob.symbol
      ? `obligation on ${ob.symbol}: spread ≤ ${ob.max_spread_ticks} ticks, ≥ ${ob.min_size} lots a side, ${Math.round(ob.min_presence * 100)}% of the time`
      : "";
    $("maker-rows").replaceChildren(...(s.market_makers.length ? s.market_makers.map((m) => el("tr", {},
      el("td", { text: m.account }), el("td", { class: m.compliant ? "yes" : "no", text: m.compliant ? "yes" : "no" }),
      el("td", { text: `${(m.presence * 100).toFixed(1)}%` }),
      el("td", { class: m.met ? "yes" : "no", text: m.met ? "met" : "not met" })))
      : [el("tr", {}, el("td", { colspan: 4, class: "hint", text: "no registered market maker" }))]));
    const r = s.risk;
    $("risk").replaceChildren(...[["margin calls", r.margin_calls], ["cured", r.margin_calls_cured],
      ["liquidations", r.liquidations], ["defaults", r.defaults]].flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    $("waterfall").textContent = s.waterfall.length
      ? "default waterfall used: " + s.waterfall.map((w) => `${w.layer} ${w.amount}`).join(", ")
      : "default waterfall: not used";
    renderChart();
  }
  setInterval(loadSession, 3000);

  // ------------------------------------------------------------------ contracts and start

  async function loadContracts() {
    const all = await getJSON("/v1/contracts");
    state.contracts = all.filter((c) => c.trading_state !== "expired");
    const select = $("symbol");
    const wanted = decodeURIComponent(location.hash.slice(1));
    const sit = state.contracts.filter((c) => c.product === "SIT");
    if (!state.symbol) {
      state.symbol = contract(wanted) ? wanted : (sit[1] || sit[0] || state.contracts[0]).symbol;
    }
    select.replaceChildren(...state.contracts.map((c) => el("option",
      { value: c.symbol, selected: c.symbol === state.symbol }, `${c.symbol} (${c.name})`)));
    showQuoteUnit();
  }

  // a price is in the contract's quote unit: USD per 1 million SIT, or per GPU-hour
  const showQuoteUnit = () => { $("quote-unit").textContent = (contract(state.symbol) || {}).quote_unit || "USD"; };

  $("symbol").addEventListener("change", async (ev) => {
    const old = state.symbol;
    state.symbol = ev.target.value;
    history.replaceState(null, "", "#" + state.symbol);
    showQuoteUnit();
    state.tape = []; state.seen = new Set(); state.lastTrades = [];
    renderTape(); renderLadder(); renderTicker();
    if (feed.ws && feed.ws.readyState === WebSocket.OPEN) {
      await feed.request("unsubscribe", { channels: ["book." + old, "trades." + old] }).catch(() => {});
      await subscribeMarket().catch(console.warn);
      loadHistory();
    }
  });

  async function start() {
    for (;;) {
      try { await loadContracts(); break; } catch (e) { await new Promise((r) => setTimeout(r, 1000)); }
    }
    setInterval(() => loadContracts().then(renderCurve).catch(() => {}), 30000);
    feed.connect();
    loadSession();
  }
  start();
})();

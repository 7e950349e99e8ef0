// The managers' SLA dashboard: figures from /api/v1/sla/summary and /api/v1/sla/workload, kept live.
// Any event that can move a figure (a clock changing state, a message, a conversation changing, a poller's
// health) triggers a debounced re-fetch; every (re)connect re-syncs; a slow timer catches what no event
// announces (a poller that silently stopped). Clocks tick locally every second.
// The channel filter (all, public, private) picks which counts the tiles and tables show, from the per-channel
// counts the summary carries, without a round trip; unfiltered, each count also shows its public/private split.
// Customer text and names only ever reach the page through textContent (S.el, which drops bidi controls),
// each in an element of its own that app.css isolates.
(function () {
  "use strict";
  const S = window.CareboxSla;
  const el = S.el;
  const I18n = window.CareboxI18n;
  const { _, pgettext } = I18n;
  const tz = I18n.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const HEALTH_NAMES = {
    unknown: pgettext("poller health", "unknown"), ok: pgettext("poller health", "ok"),
    degraded: pgettext("poller health", "degraded"), unhealthy: pgettext("poller health", "unhealthy"),
    stopped: pgettext("poller health", "stopped"),
  };
  const REFRESH_EVENTS = [
    "sla.changed", "sla.recomputed", "conversation.created", "conversation.updated", "message.created",
    "account.updated", "account.unhealthy", "account.recovered",
  ];
  const CHANNELS = ["public", "private"];
  const COUNT_KEYS = ["open", "unassigned", "warning", "breached", "paused"];
  // Each endpoint's budget (poller health): names as the connectors give them; an unknown one is shown as it is.
  const ENDPOINT_NAMES = {
    mentions: pgettext("rate limit", "mentions"), tweets: pgettext("rate limit", "posts"),
    dm_lookup: pgettext("rate limit", "DM lookup"), dm_send: pgettext("rate limit", "DM sending"),
    conversations: pgettext("rate limit", "Messenger conversations"),
    send_api: pgettext("rate limit", "Messenger Send API"),
    instagram: pgettext("rate limit", "Instagram calls (Business Use Case)"),
  };
  // The same endpoint name on another network: Instagram's DMs are read through the conversations edge too.
  const NETWORK_ENDPOINT_NAMES = {
    instagram: {
      conversations: pgettext("rate limit", "Instagram conversations"),
      send_api: pgettext("rate limit", "Instagram Send API"),
    },
  };
  // The network's documented per-account budget (poller.budget: {kind, calls_per_impression, window_hours}),
  // said under its rate limits in the reader's words, by its kind.
  const BUDGET_NOTES = {
    business_use_case: (b) => _("Instagram allows %(calls)s calls in %(hours)s hours for each impression of the account's content (its Business Use Case limit); the poller reads recently active media first and every other media in turn.",
      { calls: I18n.number(b.calls_per_impression), hours: I18n.number(b.window_hours) }),
  };
  const DEBOUNCE_MS = 400;
  const SAFETY_REFRESH_MS = 30000;

  const connState = document.getElementById("connection-state");
  const channelFilter = document.getElementById("channel-filter");
  let last = null;  // the latest [summary, workload], drawn again when the filter changes
  let atRisk = [];
  let pollers = [];
  let timer = null;
  let inFlight = false;
  let again = false;

  async function getJson(url) {
    const resp = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (resp.status === 401) { window.location = "/login?next=/dashboard"; throw new Error("signed out"); }
    if (!resp.ok) throw new Error(url + " answered " + resp.status);
    return resp.json();
  }

  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const [summary, workload] = await Promise.all([
        // The at-risk list is cut at a few dozen: filtered, it is asked for the channel kind, not filtered here.
        getJson("/api/v1/sla/summary" + (channelFilter.value ? "?channel=" + channelFilter.value : "")),
        getJson("/api/v1/sla/workload?tz=" + encodeURIComponent(tz)),
      ]);
      last = [summary, workload];
      render(summary, workload);
    } catch (err) {
      console.warn("dashboard refresh failed", err);
    } finally {
      inFlight = false;
      if (again) { again = false; schedule(); }
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function countCells(row, counts) {
    COUNT_KEYS.forEach((key) => {
      const td = el("td", "num count-" + key, I18n.number(counts[key]));
      if ((key === "warning" || key === "breached") && counts[key] > 0) td.classList.add("hot-" + key);
      row.append(td);
    });
  }

  // The counts the filter asks for: all of them, or one channel kind's.
  function shown(counts, channels) {
    const channel = channelFilter.value;
    return channel ? channels[channel] : counts;
  }

  // Unfiltered, a row of an account or network is followed by one row per channel kind with its counts.
  function withChannelRows(row, channels, cellsAfter) {
    if (channelFilter.value) return [row];
    return [row, ...CHANNELS.map((channel) => {
      const sub = el("tr", "channel-row channel-" + channel);
      sub.dataset.channel = channel;
      sub.append(el("td", "channel-name", S.channelName(channel)));
      countCells(sub, channels[channel]);
      for (let i = 0; i < cellsAfter; i++) sub.append(el("td"));
      return sub;
    })];
  }

  function renderTiles(summary) {
    const counts = shown(summary.totals, summary.channels);
    document.querySelectorAll("[data-count]").forEach((node) => {
      node.textContent = I18n.number(counts[node.dataset.count]);
    });
    document.querySelectorAll("[data-split]").forEach((node) => {
      const key = node.dataset.split;
      node.textContent = channelFilter.value ? "" : _("public %(public)s · private %(private)s", {
        public: I18n.number(summary.channels.public[key]), private: I18n.number(summary.channels.private[key]) });
    });
    const attainment = channelFilter.value ? summary.attainment.channels[channelFilter.value] : summary.attainment;
    document.getElementById("attainment-60").textContent = S.percent(attainment.within_60);
  }

  function render(summary, workload) {
    document.getElementById("dashboard").dataset.channel = channelFilter.value;
    renderTiles(summary);
    const asOf = document.getElementById("as-of");
    asOf.dateTime = summary.as_of;
    asOf.textContent = I18n.dateTime(summary.as_of, { timeStyle: "medium" });

    pollers = summary.accounts;  // before the at-risk rows: they name each conversation's account
    atRisk = summary.at_risk.filter((item) => !channelFilter.value || item.channel === channelFilter.value);
    renderAtRisk();

    const accounts = document.querySelector("#accounts tbody");
    accounts.replaceChildren(...summary.accounts.flatMap((a) => {
      const row = el("tr", "account-row");
      row.dataset.accountId = a.id;
      const name = el("td", "account-name");
      name.append(el("bdi", null, a.name), " ", el("span", "network network-" + a.network, S.networkName(a.network)));
      row.append(name);
      countCells(row, shown(a.counts, a.channels));
      row.append(pollerCell(a));
      if (a.poller.stalled) row.classList.add("stalled");
      return withChannelRows(row, a.channels, 1);
    }));

    const networks = document.querySelector("#networks tbody");
    networks.replaceChildren(...summary.networks.flatMap((n) => {
      const row = el("tr", "network-row");
      row.dataset.network = n.network;
      row.append(el("td", null, S.networkName(n.network)));
      countCells(row, shown(n.counts, n.channels));
      return withChannelRows(row, n.channels, 0);
    }));

    const stalled = summary.accounts.filter((a) => a.poller.stalled);
    const alert = document.getElementById("stall-alert");
    alert.hidden = stalled.length === 0;
    document.getElementById("stall-list").replaceChildren(
      ...stalled.map((a) => {
        const item = el("li");
        item.append(...S.fill(_("%(account)s (%(network)s): %(reason)s"), {
          account: el("bdi", null, a.name), network: S.networkName(a.network), reason: a.poller.stalled_reason }));
        return item;
      }));

    const agents = document.querySelector("#agents tbody");
    agents.replaceChildren(...workload.items.map((u) => {
      const row = el("tr");
      row.dataset.userId = u.user_id;
      const who = el("td");
      const name = el("bdi", null, u.name);
      who.append(...(u.is_available ? [name] : S.fill(_("%(name)s (away)"), { name: name })));
      row.append(who, el("td", "num", I18n.number(u.open_assigned)),
        el("td", "num" + (u.breached_assigned ? " hot-breached" : ""), I18n.number(u.breached_assigned)),
        el("td", "num", I18n.number(u.answered_today)), el("td", "num", S.duration(u.median_response_seconds)));
      return row;
    }));
    tick();
  }

  function pollerCell(a) {
    const td = el("td", "poller");
    const p = a.poller;
    if (!p.polled) {
      td.append(el("span", "muted", a.enabled ? _("push only") : pgettext("account", "disabled")));
      return td;
    }
    td.append(el("span", "health health-" + p.state, HEALTH_NAMES[p.state] || p.state));
    const ago = el("span", "ago muted");
    ago.dataset.since = p.last_success_at || "";
    td.append(" ", ago);
    const bits = [];
    if (p.poll_lag_seconds !== null) bits.push(_("lag %(duration)s", { duration: S.duration(p.poll_lag_seconds) }));
    if (p.rate_limit_remaining !== null) {
      bits.push(_("rate limit left %(num)s", { num: I18n.number(p.rate_limit_remaining) }));
    }
    if (bits.length) td.append(el("div", "muted", bits.join(" · ")));
    const budgets = rateLimitList(p.rate_limits || {}, a.network);
    if (budgets) td.append(budgets);
    const note = p.budget && BUDGET_NOTES[p.budget.kind];
    if (note) td.append(el("p", "budget-note muted", note(p.budget)));
    if (p.last_error) {
      const error = el("div", "poll-error", p.last_error);  // the network's own words: not translated
      error.dir = "auto";
      td.append(error);
    }
    if (p.stalled) td.append(el("div", "stall", _("stalled: %(reason)s", { reason: p.stalled_reason })));
    return td;
  }

  // When a budget resets, in the reader's time zone: the time, with the date when it is not today.
  function resetTime(iso) {
    const time = el("time");
    time.dateTime = iso;
    const sameDay = I18n.dateTime(iso, { dateStyle: "short" }) === I18n.dateTime(new Date(), { dateStyle: "short" });
    time.textContent = I18n.dateTime(iso, sameDay ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" });
    return time;
  }

  function endpointName(name, network) {
    return (NETWORK_ENDPOINT_NAMES[network] || {})[name] || ENDPOINT_NAMES[name] || name;
  }

  function rateLimitList(budgets, network) {
    const names = Object.keys(budgets).sort();
    if (!names.length) return null;
    const list = el("ul", "rate-limits");
    list.setAttribute("aria-label", _("Rate limits"));
    names.forEach((name) => {
      const b = budgets[name];
      const item = el("li", "rate-limit" + (b.remaining === 0 ? " exhausted" : ""));
      item.dataset.endpoint = name;
      const values = {
        endpoint: el("bdi", "endpoint", endpointName(name, network)),
        remaining: I18n.number(b.remaining), limit: I18n.number(b.limit),
      };
      let sentence = _("%(endpoint)s: %(remaining)s of %(limit)s left");
      if (b.reset_at) {
        values.time = resetTime(b.reset_at);
        sentence = _("%(endpoint)s: %(remaining)s of %(limit)s left, resets %(time)s");
      }
      item.append(...S.fill(sentence, values));
      list.append(item);
    });
    return list;
  }

  function renderAtRisk() {
    const body = document.querySelector("#at-risk tbody");
    body.replaceChildren(...atRisk.map((item) => {
      const row = el("tr", "risk");
      row.dataset.conversationId = item.conversation_id;
      const left = el("td", "time-left");
      const state = el("td", "state");
      const who = el("td", "who");
      const c = item.contact;
      who.append(el("bdi", null, c.name || c.handle || c.external_id));  // name and handle isolated, each
      if (c.handle) who.append(" @", el("bdi", null, c.handle));  // "@" is the networks' handle sign
      const account = pollers.find((a) => a.id === item.account_id);
      const snippet = el("td", "snippet", item.snippet);
      snippet.dir = "auto";
      const assignee = el("td");
      assignee.append(item.assignee ? el("bdi", null, item.assignee.name) : _("unassigned"));
      const where = el("td");
      where.append(el("bdi", null, account ? account.name : S.networkName(item.network)));
      if (item.channel === "private") where.append(" ", el("span", "pill channel-private", S.channelName(item.channel)));
      row.append(left, state, who, where, assignee, snippet);
      return row;
    }));
    document.getElementById("at-risk-empty").hidden = atRisk.length > 0;
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("#at-risk tr.risk").forEach((row, i) => {
      const view = S.clock(atRisk[i].sla, now);
      row.className = "risk sla-" + view.state;
      row.cells[0].textContent = view.text;
      row.cells[0].title = view.title;
      row.cells[1].textContent = S.stateName(view.state);
    });
    document.querySelectorAll("#accounts .ago").forEach((node) => {
      node.textContent = node.dataset.since
        ? _("last success %(duration)s ago", { duration: S.duration((now - Date.parse(node.dataset.since)) / 1000) })
        : _("never polled successfully");
    });
  }

  const socket = io({ transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    connState.textContent = _("live");
    connState.className = "conn conn-live";
    refresh(); // re-sync after every (re)connect: whatever happened offline is in the new figures
  });
  socket.on("disconnect", () => {
    connState.textContent = _("offline — reconnecting…");
    connState.className = "conn conn-offline";
  });
  REFRESH_EVENTS.forEach((name) => socket.on(name, schedule));
  if (window.CareboxAlerts) window.CareboxAlerts.start(socket);  // spike alerts (dashboard_alerts.js)
  channelFilter.addEventListener("change", () => {
    if (last) render(...last);  // the counts at once, from the figures already here
    refresh();  // then the at-risk list of that channel kind
  });
  setInterval(tick, 1000);
  setInterval(refresh, SAFETY_REFRESH_MS);
  refresh();
})();

// Spike alerts at the top of the managers' dashboard: the open ones from /api/v1/alerts, kept live by the
// Socket.IO `alert` event (raised: shown; ended: taken away), each with what spiked, the count or share seen
// against the usual one, since when, and an acknowledge button. dashboard.js hands over its socket.
// Account names reach the page through textContent only (S.el), isolated in <bdi>.
(function () {
  "use strict";
  const S = window.CareboxSla;
  const el = S.el;
  const I18n = window.CareboxI18n;
  const { _ } = I18n;
  const CSRF_TOKEN = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const KIND_NAMES = {
    volume: _("Message volume spike"),
    negative_share: _("Negative messages spike"),
  };

  const section = document.getElementById("spike-alerts");
  const list = document.getElementById("spike-alert-list");
  const items = new Map();  // alert id -> {alert, account, acknowledged_by}

  function measure(item) {
    const a = item.alert;
    if (a.kind === "negative_share") {
      return _("%(observed)s of messages negative in the last 15 minutes, usually %(usual)s",
        { observed: S.percent(a.observed), usual: S.percent(a.baseline) });
    }
    return _("%(observed)s messages in the last 15 minutes, usually %(usual)s",
      { observed: I18n.number(a.observed), usual: I18n.number(a.baseline, { maximumFractionDigits: 1 }) });
  }

  function since(iso) {
    const time = el("time", null, I18n.dateTime(iso, { timeStyle: "short" }));
    time.dateTime = iso;
    return time;
  }

  function render(item) {
    const a = item.alert;
    const node = el("li", "spike-alert spike-" + a.kind);
    node.dataset.alertId = a.id;
    const title = el("strong", "spike-kind", KIND_NAMES[a.kind] || a.kind);
    const where = el("span", "spike-account");
    where.append(...S.fill(_("on %(account)s (%(network)s)"), {
      account: el("bdi", null, item.account.name), network: S.networkName(item.account.network) }));
    const what = el("span", "spike-measure", measure(item));
    const when = el("span", "spike-since muted");
    when.append(...S.fill(_("since %(time)s"), { time: since(a.created_at) }));
    node.append(title, " ", where, el("br"), what, " · ", when, " ");
    if (item.acknowledged_by) {
      const who = el("span", "spike-acknowledged muted");
      who.append(...S.fill(_("acknowledged by %(name)s"), { name: el("bdi", null, item.acknowledged_by.name) }));
      node.append(who);
    } else {
      const button = el("button", "spike-acknowledge", _("Acknowledge"));
      button.type = "button";
      button.addEventListener("click", () => acknowledge(a.id, button));
      node.append(button);
    }
    return node;
  }

  function draw() {
    const open = [...items.values()].sort((x, y) => y.alert.id - x.alert.id);
    list.replaceChildren(...open.map(render));
    section.hidden = open.length === 0;
  }

  async function acknowledge(id, button) {
    button.disabled = true;
    try {
      const resp = await fetch("/api/v1/alerts/" + id + "/acknowledge", {
        method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": CSRF_TOKEN },
      });
      if (!resp.ok) throw new Error("acknowledge answered " + resp.status);
      const item = await resp.json();
      if (items.has(id)) items.set(id, item);
      draw();
    } catch (err) {
      console.warn("could not acknowledge the alert", err);
      button.disabled = false;
    }
  }

  async function load() {
    try {
      const resp = await fetch("/api/v1/alerts?state=open", { headers: { Accept: "application/json" },
        credentials: "same-origin" });
      if (!resp.ok) throw new Error("alerts answered " + resp.status);
      const body = await resp.json();
      items.clear();
      body.items.forEach((item) => items.set(item.alert.id, item));
      draw();
    } catch (err) {
      console.warn("could not load the spike alerts", err);
    }
  }

  function onAlert(data) {
    const id = data.alert.id;
    if (data.alert.state === "open") {
      items.set(id, { alert: data.alert, account: data.account, acknowledged_by: items.get(id)?.acknowledged_by || null });
    } else {
      items.delete(id);
    }
    draw();
  }

  window.CareboxAlerts = {
    start(socket) {
      socket.on("connect", load);  // re-sync after every (re)connect
      socket.on("alert", onAlert);
    },
  };
})();

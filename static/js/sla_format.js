// Shared by the dashboard, the reports and (if it likes) the inbox: SLA clock display without server round trips.
// window.CareboxSla.clock(sla, nowMs) -> {state, text, title}: what a conversation's "sla" dict means at nowMs,
// in the reader's language; durations, times and percentages are formatted by Intl (window.CareboxI18n).
(function () {
  "use strict";
  const I18n = window.CareboxI18n;
  const { _, pgettext } = I18n;

  // "12 min 05 s" in the reader's locale (Intl), "—" when there is no figure.
  function duration(seconds) {
    return I18n.duration(seconds);
  }

  // A share (0.429) as a percentage with one decimal ("42.9%", "٤٢٫٩٪"), "—" when there is none.
  function percent(share) {
    return I18n.percent(share, 1);
  }

  function localTime(iso) {
    return iso ? I18n.dateTime(iso, { weekday: "short", hour: "2-digit", minute: "2-digit" }) : "";
  }

  // The state names the page shows; the clock's states themselves stay English (CSS classes, the API).
  const STATE_NAMES = {
    ok: pgettext("SLA state", "ok"),
    warning: pgettext("SLA state", "warning"),
    breached: pgettext("SLA state", "breached"),
    paused: pgettext("SLA state", "paused"),
    stopped: pgettext("SLA state", "stopped"),
  };

  function stateName(state) {
    return STATE_NAMES[state] || state;
  }

  // The brands' own names stay as they are; "custom" is ours (as static/js/inbox/names.js says it).
  const NETWORK_NAMES = { twitter: "X", facebook: "Facebook", instagram: "Instagram", custom: pgettext("network", "Custom") };

  function networkName(network) {
    return NETWORK_NAMES[network] || network;
  }

  // The level ticks with the wall clock: warn_at and breach_at are the instants the transitions happen
  // (business hours already counted in), so comparing with now is exact. A clock paused by business hours
  // shows when it resumes; a running clock whose hours close before it is answered shows as paused from
  // pauses_at on (until the next refresh brings its resumes_at).
  function clock(sla, nowMs) {
    if (!sla || !sla.started_at) return { state: "stopped", text: "", title: "" };
    const warn = Date.parse(sla.warn_at), breach = Date.parse(sla.breach_at);
    const level = nowMs >= breach || sla.level === "breached" ? "breached"
      : nowMs >= warn || sla.level === "warning" ? "warning" : "ok";
    const pausedNow = level !== "breached" && (sla.paused || (sla.pauses_at && nowMs >= Date.parse(sla.pauses_at)));
    if (pausedNow) {
      const due = { time: localTime(sla.breach_at) };
      const title = sla.paused_reason === "holiday"
        ? _("Clock paused: holiday. Breach due %(time)s.", due)
        : _("Clock paused: outside business hours. Breach due %(time)s.", due);
      const text = sla.resumes_at
        ? _("paused · resumes %(time)s", { time: localTime(sla.resumes_at) })
        : pgettext("SLA state", "paused");
      return { state: "paused", level: level, text: text, title: title };
    }
    if (level === "breached") {
      return { state: "breached", level: level,
               text: _("%(duration)s over", { duration: duration((nowMs - breach) / 1000) }),
               title: _("Breached at %(time)s", { time: localTime(sla.breach_at) }) };
    }
    if (level === "warning") {
      return { state: "warning", level: level,
               text: _("%(duration)s to breach", { duration: duration((breach - nowMs) / 1000) }),
               title: _("Warning since %(time)s", { time: localTime(sla.warn_at) }) };
    }
    return { state: "ok", level: level,
             text: _("%(duration)s to warning", { duration: duration((warn - nowMs) / 1000) }),
             title: _("Breach due %(time)s", { time: localTime(sla.breach_at) }) };
  }

  // Channel kinds (public: mentions, comments, replies; private: direct messages) stay English in the API.
  const CHANNEL_NAMES = { public: pgettext("channel kind", "Public"), private: pgettext("channel kind", "Private") };

  function channelName(channel) {
    return CHANNEL_NAMES[channel] || channel;
  }

  // Bidi embedding, override and isolate controls reorder what hostile text displays as: every text el()
  // writes is stripped of them (the same list as static/js/inbox/text.js, which explains why).
  const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/gu;

  function plain(text) {
    return String(text).replace(BIDI_CONTROLS, "");
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = plain(text);
    return node;
  }

  // A translated sentence whose placeholders are nodes (names in <bdi>…): [text, node, text…] for append().
  // The sentence comes from _() with its %(name)s left in place, so translators keep the word order.
  function fill(sentence, nodes) {
    const parts = [];
    let last = 0;
    sentence.replace(/%\((\w+)\)s/g, (whole, name, at) => {
      if (at > last) parts.push(sentence.slice(last, at));
      parts.push(name in nodes ? nodes[name] : whole);
      last = at + whole.length;
      return whole;
    });
    if (last < sentence.length) parts.push(sentence.slice(last));
    return parts;
  }

  window.CareboxSla = {
    duration: duration, percent: percent, clock: clock, el: el, localTime: localTime, plain: plain,
    stateName: stateName, networkName: networkName, channelName: channelName, fill: fill,
  };
})();

// Shared by the dashboard, the reports and (if it likes) the inbox: SLA clock display without server round trips.
// window.CareboxSla.clock(sla, nowMs) -> {state, text, title}: what a conversation's "sla" dict means at nowMs.
(function () {
  "use strict";

  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + "s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + "m " + String(s % 60).padStart(2, "0") + "s";
    const h = Math.floor(m / 60);
    if (h < 48) return h + "h " + String(m % 60).padStart(2, "0") + "m";
    return Math.floor(h / 24) + "d " + (h % 24) + "h";
  }

  function percent(share) {
    return share === null || share === undefined ? "—" : (share * 100).toFixed(1) + "%";
  }

  function localTime(iso) {
    return iso ? new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" }) : "";
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
      const why = sla.paused_reason === "holiday" ? "holiday" : "outside business hours";
      const resumes = sla.resumes_at ? " · resumes " + localTime(sla.resumes_at) : "";
      return { state: "paused", level: level, text: "paused" + resumes,
               title: "Clock paused: " + why + ". Breach due " + localTime(sla.breach_at) + "." };
    }
    if (level === "breached") {
      return { state: "breached", level: level, text: duration((nowMs - breach) / 1000) + " over",
               title: "Breached at " + localTime(sla.breach_at) };
    }
    if (level === "warning") {
      return { state: "warning", level: level, text: duration((breach - nowMs) / 1000) + " to breach",
               title: "Warning since " + localTime(sla.warn_at) };
    }
    return { state: "ok", level: level, text: duration((warn - nowMs) / 1000) + " to warning",
             title: "Breach due " + localTime(sla.breach_at) };
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

  window.CareboxSla = { duration: duration, percent: percent, clock: clock, el: el, localTime: localTime, plain: plain };
})();

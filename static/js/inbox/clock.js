// SLA clocks tick in the browser from warn_at / breach_at, once a second, with no server calls.
// Colour follows the state: ok → warning → breached (classes sla-ok / sla-warning / sla-breached).
// Every text is a whole sentence in the reader's language, with durations and times from Intl (format.js,
// i18n.js): the list shows compact durations ("12m over"), the open conversation's header the long form.
import { duration as longDuration, _ } from "./i18n.js";
import { duration, fullTime, parseTime, shortTime } from "./format.js";
import { pauseReasonName, statusName } from "./names.js";
import { slaStateNow } from "./ordering.js";
import { el } from "./text.js";

const STATE_CLASSES = ["sla-ok", "sla-warning", "sla-breached", "sla-paused", "sla-stopped"];

const STATE_NAMES = {
  ok: _("On time"),
  warning: _("Warning"),
  breached: _("Breached"),
};

function label(sla, state, now, long) {
  if (state === "stopped") return "";
  if (state === "paused") return sla.resumes_at ? _("paused until %(time)s", { time: shortTime(sla.resumes_at) }) : _("paused");
  const breach = parseTime(sla.breach_at);
  if (breach === null) return STATE_NAMES[state] || statusName(state);
  const ms = state === "breached" ? now - breach : breach - now;
  const time = long ? longDuration(ms / 1000) : duration(ms);
  // "12m over" / "12m left": how long past the breach time, how long until it.
  return state === "breached" ? _("%(time)s over", { time }) : _("%(time)s left", { time });
}

function title(sla) {
  if (!sla || !sla.breach_at) return _("No response due");
  const times = { start: fullTime(sla.started_at), warn: fullTime(sla.warn_at), breach: fullTime(sla.breach_at) };
  if (!sla.paused) return _("Waiting since %(start)s; warning at %(warn)s; breach at %(breach)s.", times);
  return _("Waiting since %(start)s; warning at %(warn)s; breach at %(breach)s. Paused (%(reason)s).",
    { ...times, reason: pauseReasonName(sla.paused_reason) });
}

/**
 * A clock element for `sla`; `host` (e.g. the list item) gets the state class too.
 * `long`: the long duration with seconds ("12 min 05 sec left"), where there is room (the header).
 */
export function clockNode(sla, { long = false } = {}) {
  const node = el("span", { class: "sla-clock", title: title(sla) });
  node.sla = sla || { state: "stopped" };
  node.long = long;
  update(node, Date.now());
  return node;
}

function update(node, now) {
  const state = slaStateNow(node.sla, now);
  const text = label(node.sla, state, now, node.long);
  if (node.textContent !== text) node.textContent = text;
  if (node.dataset.state !== state) {
    node.dataset.state = state;
    const host = node.closest("[data-sla-host]") || node;
    for (const target of new Set([node, host])) {
      target.classList.remove(...STATE_CLASSES);
      target.classList.add(`sla-${state}`);
    }
  }
}

/** Re-colour a clock's host once the node is in the document (closest() needs the parent). */
export function attach(node) {
  delete node.dataset.state;
  update(node, Date.now());
}

export function tickAll(root = document) {
  const now = Date.now();
  for (const node of root.querySelectorAll(".sla-clock")) update(node, now);
}

export function startTicking() {
  return window.setInterval(() => tickAll(), 1000);
}

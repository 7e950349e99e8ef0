// SLA clocks tick in the browser from warn_at / breach_at, once a second, with no server calls.
// Colour follows the state: ok → warning → breached (classes sla-ok / sla-warning / sla-breached).
import { duration, fullTime, parseTime, shortTime } from "./format.js";
import { slaStateNow } from "./ordering.js";
import { el } from "./text.js";

const STATE_CLASSES = ["sla-ok", "sla-warning", "sla-breached", "sla-paused", "sla-stopped"];

function label(sla, state, now) {
  if (state === "stopped") return "";
  if (state === "paused") return sla.resumes_at ? `paused until ${shortTime(sla.resumes_at)}` : "paused";
  const breach = parseTime(sla.breach_at);
  if (breach === null) return state;
  return state === "breached" ? `${duration(now - breach)} over` : `${duration(breach - now)} left`;
}

function title(sla) {
  if (!sla || !sla.breach_at) return "No response due";
  const paused = sla.paused ? ` Paused (${(sla.paused_reason || "").replace(/_/g, " ")}).` : "";
  return `Waiting since ${fullTime(sla.started_at)}; warning at ${fullTime(sla.warn_at)}; breach at ${fullTime(sla.breach_at)}.${paused}`;
}

/** A clock element for `sla`; `host` (e.g. the list item) gets the state class too. */
export function clockNode(sla) {
  const node = el("span", { class: "sla-clock", title: title(sla) });
  node.sla = sla || { state: "stopped" };
  update(node, Date.now());
  return node;
}

function update(node, now) {
  const state = slaStateNow(node.sla, now);
  const text = label(node.sla, state, now);
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

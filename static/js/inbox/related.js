// The customer's conversations side by side: the public one and the private one it moved to (and any
// other of theirs on this account), as a strip above the thread. Each shows its channel, status and SLA
// clock; opening one switches the thread. The customer panel lists the same (customer.js).
import { channelBadge } from "./channel.js";
import { attach, clockNode } from "./clock.js";
import { _ } from "./i18n.js";
import { statusName } from "./names.js";
import { state } from "./store.js";
import { el } from "./text.js";

const strip = document.getElementById("related");
let openConversation = () => {};

export function onOpenRequested(fn) {
  openConversation = fn;
}

/** The open conversation and its related ones, oldest first (the public start, then where it went). */
export function conversationsOf(detail) {
  const related = (detail?.related || []).filter((c) => c.id !== detail.id);
  if (!related.length) return [];
  const all = [detail, ...related];
  return all.sort((a, b) => (Date.parse(a.created_at) || 0) - (Date.parse(b.created_at) || 0) || a.id - b.id);
}

/** One conversation as a button: channel, status, SLA clock; the open one is marked as current. */
export function entry(conv, currentId, cls = "related-item") {
  const current = conv.id === currentId;
  return el("button", {
    type: "button",
    class: cls,
    "aria-current": current ? "true" : undefined,
    dataset: { id: String(conv.id) },
    on: { click: () => (current ? null : openConversation(conv.id)) },
  },
  channelBadge(conv, { always: true }),
  el("span", { class: "related-status", text: statusName(conv.status) }),
  clockNode(conv.sla));
}

export function render(detail) {
  const items = conversationsOf(detail);
  strip.hidden = items.length === 0;
  strip.replaceChildren(...(items.length ? [
    el("span", { class: "related-title", text: _("This customer:") }),
    el("ul", {}, items.map((conv) => el("li", {}, entry(conv, detail.id)))),
  ] : []));
  for (const clock of strip.querySelectorAll(".sla-clock")) attach(clock);
}

export function clear() {
  strip.hidden = true;
  strip.replaceChildren();
}

/** A conversation changed (live): if it is one of the related, show its new state. Returns true if it was. */
export function applyConversation(conv) {
  const detail = state.detail;
  if (!detail || !Array.isArray(detail.related)) return false;
  const index = detail.related.findIndex((c) => c.id === conv.id);
  if (index < 0) return false;
  detail.related[index] = { ...detail.related[index], ...conv };
  render(detail);
  return true;
}

// The customer beside the thread: who they are on the network, their public and private conversations
// side by side (related.js), and how their earlier conversations ended.
import { attach } from "./clock.js";
import { fullTime, shortTime } from "./format.js";
import { _, ngettext } from "./i18n.js";
import { networkName, outcomeName, statusName } from "./names.js";
import { conversationsOf, entry } from "./related.js";
import { el, safeUrl, truncate } from "./text.js";

const panel = document.getElementById("customer");
const OUTCOMES = new Set(["answered", "unanswered", "spam"]);
let openConversation = () => {};

export function onOpenRequested(fn) {
  openConversation = fn;
}

function history(detail) {
  const earlier = (detail.history || []).filter((h) => h.id !== detail.id);
  if (!earlier.length) return el("p", { class: "empty", text: _("No earlier conversations.") });
  return el("ol", { class: "ib-history" }, earlier.map((h) => el("li", {},
    el("button", { type: "button", class: "link", on: { click: () => openConversation(h.id) } },
      el("span", { class: `outcome outcome-${OUTCOMES.has(h.outcome) ? h.outcome : "other"}`, text: h.outcome ? outcomeName(h.outcome) : statusName(h.status) }),
      " ",
      el("time", { datetime: h.created_at, title: fullTime(h.created_at), text: shortTime(h.created_at) }),
      " ",
      el("span", { class: "history-snippet", dir: "auto", text: truncate(h.snippet, 80) }),
    ),
    el("span", { class: "muted", text: ` · ${messageCount(h.message_count)} · ${statusName(h.status)}` }),
  )));
}

/** Public and private, each with its channel, status and SLA clock (none when there is only this one). */
function related(detail) {
  const items = conversationsOf(detail);
  if (!items.length) return null;
  return [
    el("h3", { text: _("Public and private") }),
    el("ul", { class: "cust-related" }, items.map((conv) => el("li", {}, entry(conv, detail.id, "related-item cust-related-item")))),
  ];
}

function messageCount(n) {
  return n === null || n === undefined ? _("messages: unknown") : ngettext("%(num)s message", "%(num)s messages", n);
}

export function render(detail) {
  const contact = detail.contact || {};
  const profile = safeUrl(contact.profile_url);
  const network = networkName(detail.network);
  panel.replaceChildren(el("div", { class: "cust" },
    el("h3", { text: _("Customer") }),
    el("p", { class: "cust-name", dir: "auto", text: contact.name || contact.handle || contact.external_id }),
    contact.handle ? el("p", { class: "cust-handle", dir: "auto" }, "@", el("bdi", { text: contact.handle })) : null,
    contact.followers_count !== null && contact.followers_count !== undefined
      ? el("p", { class: "cust-followers", text: ngettext("%(num)s follower", "%(num)s followers", Number(contact.followers_count)) })
      : null,
    profile ? el("p", {}, el("a", { href: profile, class: "cust-profile", text: _("Profile on %(network)s", { network }) })) : null,
    contact.accepts_dms === false ? el("p", { class: "cust-no-dms", text: _("Does not accept direct messages from the brand.") }) : null,
    related(detail),
    el("h3", { text: _("Earlier conversations") }),
    history(detail),
  ));
  for (const clock of panel.querySelectorAll(".sla-clock")) attach(clock);
}

export function clear() {
  panel.replaceChildren();
}

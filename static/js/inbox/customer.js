// The customer beside the thread: who they are on the network and how their earlier conversations ended.
import { shortTime } from "./format.js";
import { NETWORK_LABELS } from "./listview.js";
import { el, safeUrl, truncate } from "./text.js";

const panel = document.getElementById("customer");
const OUTCOMES = { answered: "answered", unanswered: "unanswered", spam: "spam" };
let openConversation = () => {};

export function onOpenRequested(fn) {
  openConversation = fn;
}

function history(detail) {
  const earlier = (detail.history || []).filter((h) => h.id !== detail.id);
  if (!earlier.length) return el("p", { class: "empty", text: "No earlier conversations." });
  return el("ol", { class: "ib-history" }, earlier.map((h) => el("li", {},
    el("button", { type: "button", class: "link", on: { click: () => openConversation(h.id) } },
      el("span", { class: `outcome outcome-${OUTCOMES[h.outcome] || "other"}`, text: h.outcome || h.status }),
      " ",
      el("time", { datetime: h.created_at, text: shortTime(h.created_at) }),
      " ",
      el("span", { class: "history-snippet", dir: "auto", text: truncate(h.snippet, 80) }),
    ),
    el("span", { class: "muted", text: ` · ${h.message_count ?? "?"} messages · ${h.status}` }),
  )));
}

export function render(detail) {
  const contact = detail.contact || {};
  const profile = safeUrl(contact.profile_url);
  const network = NETWORK_LABELS[detail.network] || detail.network;
  panel.replaceChildren(el("div", { class: "cust" },
    el("h3", { text: "Customer" }),
    el("p", { class: "cust-name", dir: "auto", text: contact.name || contact.handle || contact.external_id }),
    contact.handle ? el("p", { class: "cust-handle", dir: "auto" }, "@", el("bdi", { text: contact.handle })) : null,
    contact.followers_count !== null && contact.followers_count !== undefined
      ? el("p", { class: "cust-followers", text: `${Number(contact.followers_count).toLocaleString()} followers` })
      : null,
    profile ? el("p", {}, el("a", { href: profile, class: "cust-profile", text: `Profile on ${network}` })) : null,
    el("h3", { text: "Earlier conversations" }),
    history(detail),
  ));
}

export function clear() {
  panel.replaceChildren();
}

// The open conversation's header: customer, account, status, priority, assignee, tags, SLA clock, presence.
import * as actions from "./actions.js";
import { attach, clockNode } from "./clock.js";
import { _, pgettext } from "./i18n.js";
import { networkName, priorityName, statusName } from "./names.js";
import { state } from "./store.js";
import { bdi, contactLabel, el, sentence } from "./text.js";

const head = document.getElementById("conversation-head");
const STATUSES = ["open", "pending", "resolved"];
const PRIORITIES = ["low", "normal", "high", "urgent"];

function select(label, value, options, onChange, cls) {
  const node = el("select", { "aria-label": label, class: cls });
  for (const [optionValue, text] of options) node.append(el("option", { value: optionValue, text }));
  node.value = value;
  node.addEventListener("change", () => onChange(node.value));
  return node;
}

function people() {
  const members = [...state.team.values()];
  if (state.me && !state.team.has(state.me.id)) members.unshift(state.me);
  return members;
}

function tagEditor(conv) {
  const input = el("input", { type: "text", class: "tag-input", placeholder: _("add tag"), "aria-label": _("Add a tag"), maxlength: "64", dir: "auto" });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && input.value.trim()) {
      event.preventDefault();
      actions.addTag(conv.id, input.value.trim());
      input.value = "";
    }
  });
  return el("span", { class: "tags" },
    (conv.tags || []).map((tag) => el("span", { class: "tag", dir: "auto" }, tag,
      el("button", { type: "button", class: "tag-remove", "aria-label": _("Remove the tag %(tag)s", { tag }), text: "×", on: { click: () => actions.removeTag(conv.id, tag) } }))),
    input);
}

/** "Sam is typing… · Alex is viewing", each name isolated. */
function presenceNodes(conversationId) {
  const presence = state.presence.get(conversationId) || {};
  const others = (people) => (people || []).filter((p) => p.id !== state.me.id);
  const typers = others(presence.typers);
  const typing = new Set(typers.map((p) => p.id));
  const viewers = others(presence.viewers).filter((p) => !typing.has(p.id));
  const parts = [
    ...typers.map((p) => sentence(_("%(name)s is typing…"), { name: bdi(p.name) })),
    ...viewers.map((p) => sentence(_("%(name)s is viewing"), { name: bdi(p.name) })),
  ];
  return parts.flatMap((part, i) => (i ? [" · ", ...part] : part));
}

export function renderPresence() {
  const line = head.querySelector(".presence-line");
  if (line && state.detail) {
    line.replaceChildren(...presenceNodes(state.detail.id));
    line.classList.toggle("has-typers", (state.presence.get(state.detail.id)?.typers || []).some((p) => p.id !== state.me.id));
  }
}

export function render(conv) {
  const account = (state.detail && state.detail.account) || state.accounts.get(conv.account_id);
  const assignee = conv.assignee_id === null ? "" : String(conv.assignee_id);
  const clock = clockNode(conv.sla, { long: true });
  head.replaceChildren(
    el("div", { class: "convhead-who" },
      el("h2", { class: "who", dir: "auto" }, contactLabel(conv.contact)),
      el("span", { class: `network network-${conv.network}`, text: networkName(conv.network) }),
      account ? el("span", { class: "muted", dir: "auto", text: account.name }) : null,
      clock),
    el("div", { class: "convhead-controls" },
      select(_("Status"), conv.status, STATUSES.map((s) => [s, statusName(s)]), (v) => actions.update(conv.id, { status: v }), "status-select"),
      select(_("Priority"), conv.priority, PRIORITIES.map((p) => [p, priorityName(p)]), (v) => actions.update(conv.id, { priority: v }), "priority-select"),
      select(_("Assignee"), assignee, [["", _("Unassigned")], ...people().map((u) => [String(u.id), u.name])],
        (v) => actions.assign(conv.id, v === "" ? null : Number(v)), "assignee-select"),
      conv.assignee_id === state.me.id ? null
        : el("button", { type: "button", class: "claim", text: _("Assign to me"), title: _("Shortcut: %(key)s", { key: "a" }), "aria-keyshortcuts": "a", on: { click: () => actions.claim(conv.id) } }),
      conv.status === "resolved" ? null
        : el("button", { type: "button", class: "resolve", text: _("Resolve"), title: _("Shortcut: %(key)s", { key: "e" }), "aria-keyshortcuts": "e", on: { click: () => actions.resolve(conv.id) } }),
      conv.is_spam ? el("span", { class: "tag tag-spam", text: pgettext("label", "spam") })
        : el("button", { type: "button", class: "link spam", text: _("Mark as spam"), on: { click: () => actions.update(conv.id, { is_spam: true }) } }),
      tagEditor(conv)),
    el("p", { class: "presence-line", "aria-live": "polite" }),
  );
  attach(clock);
  renderPresence();
}

export function renderLoading(conv) {
  head.replaceChildren(el("h2", { class: "who", dir: "auto" }, conv ? contactLabel(conv.contact) : _("Loading…")));
}

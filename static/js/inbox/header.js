// The open conversation's header: customer, account, channel, status, priority, assignee, tags, SLA clock,
// presence; for a public conversation, "Move to DM" (m) or the link to where it moved.
import * as actions from "./actions.js";
import { channelBadge, isPrivate, networkBadge } from "./channel.js";
import { attach, clockNode } from "./clock.js";
import { _, pgettext } from "./i18n.js";
import { moveRefusal, priorityName, statusName } from "./names.js";
import { state } from "./store.js";
import { bdi, contactLabel, el, sentence } from "./text.js";

const head = document.getElementById("conversation-head");
const STATUSES = ["open", "pending", "resolved"];
const PRIORITIES = ["low", "normal", "high", "urgent"];
const handlers = { open() {}, move() {} };

/** {open(id): show another conversation, move(): start "Move to DM"} */
export function setHandlers(fns) {
  Object.assign(handlers, fns);
}

/** The move's state for `conv`: {allowed, reason} (a detail without can_move_to_private: allowed when public). */
export function moveState(conv) {
  if (!conv || isPrivate(conv)) return { allowed: false, reason: "not_public" };
  if (conv.moved_to_id) return { allowed: false, reason: "already_moved" };
  const can = conv.can_move_to_private;
  return can ? { allowed: Boolean(can.allowed), reason: can.reason || null, via: can.via || null } : { allowed: true, reason: null, via: null };
}

/** "Moved to DM →" (a public conversation that moved), or the "Move to DM" button, disabled with its reason. */
function moveControl(conv) {
  if (isPrivate(conv)) return null;
  if (conv.moved_to_id) {
    return el("button", { type: "button", class: "link moved-link", on: { click: () => handlers.open(conv.moved_to_id) } },
      _("Moved to DM"), " ", el("span", { class: "flip-rtl", "aria-hidden": "true", text: "→" }));
  }
  const move = moveState(conv);
  const reason = move.allowed ? null : moveRefusal(move.reason, conv.network);
  const why = reason ? el("span", { id: "move-why", class: "muted move-why", text: reason }) : null;
  return el("span", { class: "move-control" },
    el("button", {
      type: "button", class: "move-to-dm", text: _("Move to DM"), title: _("Shortcut: %(key)s", { key: "m" }),
      "aria-keyshortcuts": "m", disabled: !move.allowed, "aria-describedby": why ? "move-why" : undefined,
      on: { click: () => handlers.move() },
    }), why);
}

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
      networkBadge(conv.network),
      channelBadge(conv, { always: true }),
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
      tagEditor(conv),
      moveControl(conv)),
    el("p", { class: "presence-line", "aria-live": "polite" }),
  );
  attach(clock);
  renderPresence();
}

export function renderLoading(conv) {
  head.replaceChildren(el("h2", { class: "who", dir: "auto" }, conv ? contactLabel(conv.contact) : _("Loading…")));
}

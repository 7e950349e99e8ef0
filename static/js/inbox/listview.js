// The conversation list in the DOM: one <li> per loaded conversation, kept by id and moved in place
// when it changes, so a live event touches one row, never the whole list.
import { channelBadge, movedBadge, networkBadge } from "./channel.js";
import { attach, clockNode } from "./clock.js";
import { fullTime, shortTime } from "./format.js";
import { _, pgettext } from "./i18n.js";
import { priorityName } from "./names.js";
import { moderatedBadge, reasonChips, teamBadge } from "./rowmarks.js";
import { memberName, state } from "./store.js";
import { bdi, contactLabel, contactName, el, isolated, sentence, truncate } from "./text.js";

const SNIPPET_GRAPHEMES = 160;

const list = document.getElementById("conversation-list");
const empty = document.getElementById("empty-state");
const rows = new Map(); // conversation id -> <li>
let onOpen = () => {};

export function onOpenRequested(fn) {
  onOpen = fn;
}

function presenceBadges(conversationId) {
  const presence = state.presence.get(conversationId);
  const others = (people) => (people || []).filter((p) => p.id !== state.me.id);
  const typers = others(presence && presence.typers);
  const typerIds = new Set(typers.map((p) => p.id));
  const viewers = others(presence && presence.viewers).filter((p) => !typerIds.has(p.id));
  const badges = [
    // A badge in the list, short: "Sam typing…" (the header says "Sam is typing…").
    ...typers.map((p) => el("span", { class: "pres pres-typing", dir: "auto" }, sentence(pgettext("presence badge", "%(name)s typing…"), { name: bdi(p.name) }))),
    ...viewers.map((p) => el("span", { class: "pres pres-viewing", title: _("%(name)s is viewing", { name: isolated(p.name) }), dir: "auto" }, bdi(p.name))),
  ];
  return badges;
}

function meta(conv) {
  const account = state.accounts.get(conv.account_id);
  const parts = [networkBadge(conv.network, { title: account ? account.name : "" }), channelBadge(conv), movedBadge(conv)].filter(Boolean);
  if (conv.priority && conv.priority !== "normal") parts.push(el("span", { class: `prio prio-${conv.priority}`, text: priorityName(conv.priority) }));
  parts.push(reasonChips(conv), teamBadge(conv), moderatedBadge(conv));
  if (conv.is_spam) parts.push(el("span", { class: "tag tag-spam", text: pgettext("label", "spam") }));
  for (const tag of conv.tags || []) parts.push(el("span", { class: "tag", text: tag, dir: "auto" }));
  const assignee = memberName(conv.assignee_id);
  // "→ Sam": assigned to Sam (the arrow turns with the page in right-to-left languages).
  parts.push(el("span", { class: "assignee" }, assignee ? sentence(pgettext("assigned to", "→ %(name)s"), { name: bdi(assignee) }) : pgettext("assignee", "unassigned")));
  return parts;
}

function renderRow(conv) {
  const id = conv.id;
  const li = el("li", {
    id: `conv-${id}`,
    role: "option",
    class: "conversation",
    "aria-selected": id === state.cursorId ? "true" : "false",
    // Ticked for bulk actions (x): the option says so itself. The box drawn in it is for the mouse only,
    // not a control of its own: a checkbox inside an option would be a control inside a control.
    "aria-checked": state.checked.has(id) ? "true" : "false",
    dataset: { id: String(id), slaHost: "" },
  });
  li.classList.toggle("is-cursor", id === state.cursorId);
  li.classList.toggle("is-open", id === state.openId);
  li.classList.toggle("is-checked", state.checked.has(id));
  li.classList.toggle("is-private", conv.channel === "private");
  const pick = el("span", { class: "pick", "aria-hidden": "true", title: _("Select the conversation with %(name)s", { name: isolated(contactName(conv.contact)) }) });
  li.append(
    pick,
    el("span", { class: "who", dir: "auto" }, contactLabel(conv.contact)),
    el("time", { class: "when", datetime: conv.last_message_at || "", title: fullTime(conv.last_message_at), text: shortTime(conv.last_message_at) }),
    el("span", { class: "snippet", dir: "auto", text: truncate(conv.snippet, SNIPPET_GRAPHEMES) }),
    el("span", { class: "meta" }, meta(conv)),
    el("span", { class: "presence" }, presenceBadges(id)),
    clockNode(conv.sla),
  );
  return li;
}

/** Draw one row again where it is (its marks changed, not its place). */
export function refreshRow(id) {
  if (!rows.has(id) || !state.conversations.has(id)) return;
  const row = rowFor(id);
  attach(row.querySelector(".sla-clock"));
}

function rowFor(id) {
  const fresh = renderRow(state.conversations.get(id));
  const old = rows.get(id);
  if (old) old.replaceWith(fresh);
  rows.set(id, fresh);
  return fresh;
}

export function renderAll() {
  rows.clear();
  const fragment = document.createDocumentFragment();
  for (const id of state.order) {
    const row = renderRow(state.conversations.get(id));
    rows.set(id, row);
    fragment.append(row);
  }
  list.replaceChildren(fragment);
  for (const row of rows.values()) attach(row.querySelector(".sla-clock"));
  updateEmpty();
  showCursor();
}

/** Put conversation `id` (already in state.order) where it belongs. */
export function placeRow(id) {
  const row = rowFor(id);
  const index = state.order.indexOf(id);
  const next = rows.get(state.order[index + 1]) || null;
  if (row.parentNode !== list || row.nextSibling !== next) list.insertBefore(row, next);
  attach(row.querySelector(".sla-clock"));
  updateEmpty();
}

export function appendRows(ids) {
  const fragment = document.createDocumentFragment();
  const added = ids.map((id) => rowFor(id));
  fragment.append(...added);
  list.append(fragment);
  for (const row of added) attach(row.querySelector(".sla-clock"));
  updateEmpty();
}

export function removeRow(id) {
  rows.get(id)?.remove();
  rows.delete(id);
  updateEmpty();
}

export function refreshPresence(id) {
  rows.get(id)?.querySelector(".presence")?.replaceChildren(...presenceBadges(id));
}

export function showCursor() {
  for (const row of list.querySelectorAll(".is-cursor, .is-open")) {
    row.classList.remove("is-cursor", "is-open");
    row.setAttribute("aria-selected", "false");
  }
  const cursor = rows.get(state.cursorId);
  if (cursor) {
    cursor.classList.add("is-cursor");
    cursor.setAttribute("aria-selected", "true");
    list.setAttribute("aria-activedescendant", cursor.id);
    cursor.scrollIntoView({ block: "nearest" });
  } else {
    list.removeAttribute("aria-activedescendant");
  }
  rows.get(state.openId)?.classList.add("is-open");
}

export function showChecked() {
  for (const [id, row] of rows) {
    const checked = state.checked.has(id);
    row.classList.toggle("is-checked", checked);
    row.setAttribute("aria-checked", String(checked));
  }
}

function updateEmpty() {
  empty.hidden = state.order.length > 0;
}

list.addEventListener("click", (event) => {
  const row = event.target.closest("li.conversation");
  if (!row) return;
  const id = Number(row.dataset.id);
  if (event.target.closest(".pick")) {
    const checked = !state.checked.has(id);
    if (checked) state.checked.add(id);
    else state.checked.delete(id);
    row.classList.toggle("is-checked", checked);
    row.setAttribute("aria-checked", String(checked));
    list.dispatchEvent(new CustomEvent("checked-change", { bubbles: true }));
    return;
  }
  if (event.target.closest("a")) return;
  onOpen(id);
});

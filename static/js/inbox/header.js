// The open conversation's header: customer, account, status, priority, assignee, tags, SLA clock, presence.
import * as actions from "./actions.js";
import { attach, clockNode } from "./clock.js";
import { NETWORK_LABELS } from "./listview.js";
import { state } from "./store.js";
import { contactLabel, el } from "./text.js";

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
  const input = el("input", { type: "text", class: "tag-input", placeholder: "add tag", "aria-label": "Add a tag", maxlength: "64", dir: "auto" });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && input.value.trim()) {
      event.preventDefault();
      actions.addTag(conv.id, input.value.trim());
      input.value = "";
    }
  });
  return el("span", { class: "tags" },
    (conv.tags || []).map((tag) => el("span", { class: "tag", dir: "auto" }, tag,
      el("button", { type: "button", class: "tag-remove", "aria-label": `Remove tag ${tag}`, text: "×", on: { click: () => actions.removeTag(conv.id, tag) } }))),
    input);
}

export function presenceText(conversationId) {
  const presence = state.presence.get(conversationId) || {};
  const others = (people) => (people || []).filter((p) => p.id !== state.me.id);
  const typers = others(presence.typers);
  const typing = new Set(typers.map((p) => p.id));
  const viewers = others(presence.viewers).filter((p) => !typing.has(p.id));
  const parts = [
    ...typers.map((p) => `${p.name} is typing…`),
    ...viewers.map((p) => `${p.name} is viewing`),
  ];
  return parts.join(" · ");
}

export function renderPresence() {
  const line = head.querySelector(".presence-line");
  if (line && state.detail) {
    line.textContent = presenceText(state.detail.id);
    line.classList.toggle("has-typers", (state.presence.get(state.detail.id)?.typers || []).some((p) => p.id !== state.me.id));
  }
}

export function render(conv) {
  const account = (state.detail && state.detail.account) || state.accounts.get(conv.account_id);
  const assignee = conv.assignee_id === null ? "" : String(conv.assignee_id);
  const clock = clockNode(conv.sla);
  head.replaceChildren(
    el("div", { class: "convhead-who" },
      el("h2", { class: "who", dir: "auto" }, contactLabel(conv.contact)),
      el("span", { class: `network network-${conv.network}`, text: NETWORK_LABELS[conv.network] || conv.network }),
      account ? el("span", { class: "muted", dir: "auto", text: account.name }) : null,
      clock),
    el("div", { class: "convhead-controls" },
      select("Status", conv.status, STATUSES.map((s) => [s, s]), (v) => actions.update(conv.id, { status: v }), "status-select"),
      select("Priority", conv.priority, PRIORITIES.map((p) => [p, p]), (v) => actions.update(conv.id, { priority: v }), "priority-select"),
      select("Assignee", assignee, [["", "Unassigned"], ...people().map((u) => [String(u.id), u.name])],
        (v) => actions.assign(conv.id, v === "" ? null : Number(v)), "assignee-select"),
      conv.assignee_id === state.me.id ? null
        : el("button", { type: "button", class: "claim", text: "Assign to me", title: "a", on: { click: () => actions.claim(conv.id) } }),
      conv.status === "resolved" ? null
        : el("button", { type: "button", class: "resolve", text: "Resolve", title: "e", on: { click: () => actions.resolve(conv.id) } }),
      conv.is_spam ? el("span", { class: "tag tag-spam", text: "spam" })
        : el("button", { type: "button", class: "link spam", text: "Spam", on: { click: () => actions.update(conv.id, { is_spam: true }) } }),
      tagEditor(conv)),
    el("p", { class: "presence-line", "aria-live": "polite" }),
  );
  attach(clock);
  renderPresence();
}

export function renderLoading(conv) {
  head.replaceChildren(el("h2", { class: "who", dir: "auto" }, conv ? contactLabel(conv.contact) : "Loading…"));
}

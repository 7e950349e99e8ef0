// The messages of the open conversation, in thread order: customer posts, the brand's replies with
// their delivery state (retry / discard when failed or unknown), and private notes. Above each run of
// messages that hang off one post (an Instagram post or reel), that post's context card (postcard.js).
// Each customer message shows its state on the network and triage's reading (msgmarks.js) and, where the
// network and the agent's role allow, its moderation buttons (moderation.js, through handlers.tools).
import { fullTime, shortTime } from "./format.js";
import { _, pgettext } from "./i18n.js";
import { automaticMark, networkMarks, triageLabels } from "./msgmarks.js";
import { deliveryName, replyRefusal } from "./names.js";
import { card, postOf } from "./postcard.js";
import { memberName, state } from "./store.js";
import { bdi, contactLabel, el, linkify, sentence } from "./text.js";

const thread = document.getElementById("thread");
const nodes = new Map(); // message id -> <li>
const handlers = { replyTo() {}, retry() {}, discard() {}, tools: () => null };
let targetId = null; // the message the reply answers (the chosen one, else the latest customer message)

const UNKNOWN_HELP = _("Carebox stopped between sending this reply and recording the answer, so it may or may not be on the network. Check the network, then retry or discard it: it is never re-sent automatically.");

export function setHandlers(fns) {
  Object.assign(handlers, fns);
}

/** Who wrote `msg`, as nodes: every name in a <bdi> of its own, in a sentence the translation orders. */
function author(msg) {
  if (msg.direction === "note") {
    return sentence(_("Note by %(name)s"), { name: bdi(memberName(msg.author.user_id) || msg.author.name || pgettext("author", "someone")) });
  }
  if (msg.direction === "outbound") {
    const agent = memberName(msg.author.user_id);
    const brand = bdi(state.detail?.account?.name || msg.author.name || msg.author.handle || pgettext("author", "Brand"));
    if (msg.is_native) return sentence(_("%(brand)s (answered on the network)"), { brand });
    // "Sam for Acme": Sam, an agent, answered as the brand's account.
    return agent ? sentence(_("%(agent)s for %(brand)s"), { agent: bdi(agent), brand }) : [brand];
  }
  const label = contactLabel(msg.author);
  return label.length ? label : contactLabel(state.detail?.contact);
}

function times(msg) {
  const posted = el("time", { datetime: msg.created_at, title: _("On the network: %(time)s", { time: fullTime(msg.created_at) }), text: shortTime(msg.created_at) });
  if (msg.direction !== "inbound") return el("span", { class: "msg-times" }, posted);
  const received = el("time", { datetime: msg.received_at, title: _("By Carebox: %(time)s", { time: fullTime(msg.received_at) }), text: shortTime(msg.received_at) });
  return el("span", { class: "msg-times" }, sentence(_("posted %(posted)s · received %(received)s"), { posted, received }));
}

function delivery(msg) {
  const status = msg.delivery_status;
  if (msg.direction !== "outbound" || !status || msg.is_native) return null;
  const box = el("div", { class: `delivery delivery-${status}` },
    el("span", { class: "delivery-state", text: deliveryName(status) }));
  // A refusal we know (delivery_error_code) in our own words; the network's words beside it.
  const reason = status === "failed" && msg.delivery_error_code ? replyRefusal(msg.delivery_error_code) : null;
  if (reason) box.append(el("span", { class: "delivery-reason", text: reason }));
  if (status === "failed" && msg.delivery_error) box.append(el("span", { class: "delivery-error", dir: "auto", text: msg.delivery_error }));
  if (status === "unknown") box.append(el("span", { class: "delivery-error", text: UNKNOWN_HELP }));
  if (status === "failed" || status === "unknown") {
    box.append(
      el("button", { type: "button", class: "retry", text: _("Retry"), on: { click: () => handlers.retry(msg) } }),
      el("button", { type: "button", class: "discard link", text: pgettext("a failed reply", "Discard"), on: { click: () => handlers.discard(msg) } }),
    );
  }
  return box;
}

// How a private answer went out: as the one Private Reply to a comment, or tagged HUMAN_AGENT past 24 hours.
const SEND_AS = {
  private_reply: pgettext("message tag", "private reply"),
  human_agent: pgettext("message tag", "tagged HUMAN_AGENT"),
};

function sendAs(msg) {
  return SEND_AS[msg.send_as] ? el("span", { class: `send-as send-as-${msg.send_as}`, text: SEND_AS[msg.send_as] }) : null;
}

function messageNode(msg) {
  const li = el("li", { class: `msg msg-${msg.direction}`, dataset: { id: String(msg.id), moderation: msg.moderation || "visible" } });
  if (targetId === msg.id) li.classList.add("is-reply-target");
  li.classList.toggle("is-hidden-on-network", msg.moderation === "hidden");
  li.classList.toggle("is-deleted-on-network", msg.moderation === "deleted");
  const actions = msg.direction === "inbound" && msg.moderation !== "deleted"
    ? el("button", { type: "button", class: "link reply-to", text: _("Reply to this"), on: { click: () => handlers.replyTo(msg) } })
    : null;
  const marks = [...networkMarks(msg, state.detail?.network), ...triageLabels(msg)];
  li.append(
    el("div", { class: "msg-head" }, el("span", { class: "msg-author", dir: "auto" }, author(msg)), times(msg), sendAs(msg),
      automaticMark(msg), actions, handlers.tools(msg)),
    el("p", { class: "msg-text", dir: "auto" }, linkify(msg.text)),
  );
  if (marks.length) li.append(el("div", { class: "msg-marks" }, marks));
  const deliveryBox = delivery(msg);
  if (deliveryBox) li.append(deliveryBox);
  return li;
}

function position(msg) {
  // Thread order: platform time, then id (as the API sends them).
  return [Date.parse(msg.created_at) || 0, msg.id];
}

function before(a, b) {
  const pa = position(a);
  const pb = position(b);
  return pa[0] - pb[0] || pa[1] - pb[1];
}

export function render(messages) {
  nodes.clear();
  const fragment = document.createDocumentFragment();
  for (const msg of messages) {
    const node = messageNode(msg);
    nodes.set(msg.id, node);
    fragment.append(node);
  }
  thread.replaceChildren(fragment);
  placeCards();
  scrollToEnd();
}

/**
 * The context cards, again: one above each run of messages (in the order shown) that hang off the same post.
 * Notes and the brand's replies without a post of their own stay in the run they sit in.
 */
export function placeCards() {
  for (const old of thread.querySelectorAll(":scope > .post-card")) old.remove();
  const detail = state.detail;
  if (!detail || !detail.posts) return;
  const byId = new Map((detail.messages || []).map((m) => [String(m.id), m]));
  let current = null;
  for (const node of [...thread.children]) {
    const post = postOf(detail, byId.get(node.dataset.id));
    if (!post || post.external_id === current) continue;
    current = post.external_id;
    node.before(card(post, detail.network));
  }
}

export function clear() {
  nodes.clear();
  thread.replaceChildren();
}

/** Add or update one message; `isNew` marks one the agent has not been shown yet. */
export function upsert(msg, { isNew = false } = {}) {
  const node = messageNode(msg);
  if (isNew) node.classList.add("is-new");
  const old = nodes.get(msg.id);
  if (old) {
    if (old.classList.contains("is-new")) node.classList.add("is-new");
    const focused = old.contains(document.activeElement) ? document.activeElement : null;
    old.replaceWith(node);
    if (focused) keepFocus(focused, node);
  } else {
    const messages = state.detail ? state.detail.messages : [];
    const next = messages.find((m) => m.id !== msg.id && before(msg, m) < 0);
    thread.insertBefore(node, next ? nodes.get(next.id) || null : null);
  }
  nodes.set(msg.id, node);
  placeCards();
  if (!old && node === lastMessageNode()) scrollToEnd();
}

/** The keyboard stays where it was when a message is drawn again (a hide button becomes the unhide button). */
function keepFocus(focused, node) {
  const kind = focused.dataset?.kind;
  const same = (kind && node.querySelector(`[data-kind="${kind}"]`)) || node.querySelector(".msg-tools button") || node;
  if (same === node) node.tabIndex = -1;
  same.focus({ preventScroll: true });
}

function lastMessageNode() {
  const items = thread.querySelectorAll(":scope > .msg");
  return items[items.length - 1] || null;
}

export function remove(id) {
  nodes.get(id)?.remove();
  nodes.delete(id);
  placeCards();
}

export function markAllSeen() {
  for (const node of thread.querySelectorAll(".is-new")) node.classList.remove("is-new");
}

/** Mark the message the composer answers (`id`; null: none), which is also the one the moderation keys act on. */
export function showReplyTarget(id) {
  targetId = id;
  for (const [messageId, node] of nodes) node.classList.toggle("is-reply-target", messageId === id);
}

export function scrollTo(id) {
  nodes.get(id)?.scrollIntoView({ block: "center" });
}

function scrollToEnd() {
  thread.scrollTop = thread.scrollHeight;
}

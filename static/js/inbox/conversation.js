// The open conversation: load its detail, render header, related conversations, thread and customer, keep it live.
import { get } from "./api.js";
import { _ } from "./i18n.js";
import * as composer from "./composer.js";
import * as counts from "./counts.js";
import * as customer from "./customer.js";
import * as header from "./header.js";
import * as listview from "./listview.js";
import * as presence from "./presence.js";
import * as related from "./related.js";
import { state } from "./store.js";
import { contactName, isolated } from "./text.js";
import * as thread from "./thread.js";

const placeholder = document.getElementById("conversation-placeholder");
const body = document.getElementById("conversation-body");
let controller = null;
let loading = Promise.resolve();

function setTitle(conv) {
  state.titleSuffix = conv ? _("%(name)s · Inbox · Carebox", { name: isolated(contactName(conv.contact)) }) : null;
  counts.renderTitle();
}

async function fetchDetail(id) {
  controller?.abort();
  controller = new AbortController();
  const detail = await get(`/conversations/${id}`, null, controller.signal);
  return state.openId === id ? detail : null;
}

function showDetail(detail) {
  state.detail = detail;
  header.render(detail);
  related.render(detail);
  customer.render(detail);
  composer.detailLoaded(detail);
  const unseen = new Set(composer.threadLoaded(detail.messages));
  thread.render(detail.messages);
  for (const message of detail.messages) if (unseen.has(message.id)) thread.upsert(message, { isNew: true });
  setTitle(detail);
}

/** Open conversation `id`; `focus` ("reply" | "note") puts the cursor in the composer straight away. */
export function open(id, { focus = null } = {}) {
  if (state.openId === id && state.detail) {
    if (focus) composer.focus(focus);
    return loading;
  }
  state.openId = id;
  state.detail = null;
  if (state.conversations.has(id)) state.cursorId = id;
  listview.showCursor();
  placeholder.hidden = true;
  body.hidden = false;
  const summary = state.conversations.get(id);
  header.renderLoading(summary);
  customer.clear();
  related.clear();
  thread.clear();
  setTitle(summary);
  presence.view(id);
  loading = fetchDetail(id).then((detail) => {
    if (detail) showDetail(detail);
  }).catch((exc) => {
    if (exc.name !== "AbortError" && state.openId === id) header.renderLoading({ contact: { name: _("Could not load the conversation: %(reason)s", { reason: exc.message }) } });
  });
  composer.bind(id, loading);
  if (focus) composer.focus(focus);
  return loading;
}

/** After a reconnect: fetch the open conversation again, so nothing missed while offline stays missing. */
export async function reload() {
  const id = state.openId;
  if (id === null) return;
  presence.view(id);
  try {
    const detail = await fetchDetail(id);
    if (detail) showDetail(detail);
  } catch {
    // the next reconnect tries again
  }
}

/** A summary of a conversation changed (API answer or live event). */
export function applyConversation(conv) {
  if (!state.detail || state.detail.id !== conv.id) return;
  // A summary lacks the detail's own parts: keep them (messages, account, history, related, limits, window, posts).
  const { messages, account, history, related: others, reply_limit: replyLimit, reply_window: replyWindow,
    can_move_to_private: canMove, posts } = state.detail;
  state.detail = { ...state.detail, ...conv, messages, account, history, related: others, reply_limit: replyLimit,
    reply_window: replyWindow, can_move_to_private: canMove, posts };
  header.render(state.detail);
  related.render(state.detail);
  setTitle(state.detail);
}

// Delivery states only move forward (queued → sending → sent | failed | unknown); the answer to a POST
// and the live events about the same reply can cross, so an older state never replaces a newer one.
const DELIVERY_RANK = { queued: 0, sending: 1, sent: 2, failed: 2, unknown: 2 };

function isStale(incoming, known) {
  const rank = (m) => DELIVERY_RANK[m.delivery_status] ?? 2;
  return known.direction === "outbound" && rank(incoming) < rank(known);
}

/**
 * A message was created or changed (delivery state). `seen`: the agent is being shown it on purpose;
 * `force`: this tab itself moved it back (a retry re-queues a failed reply).
 */
export function applyMessage(message, { seen = false, force = false } = {}) {
  if (!state.detail || state.detail.id !== message.conversation_id) return;
  const messages = state.detail.messages;
  const index = messages.findIndex((m) => m.id === message.id);
  if (index >= 0) {
    if (!force && isStale(message, messages[index])) return;
    const moderated = messages[index].moderation !== message.moderation;
    messages[index] = message;
    thread.upsert(message);
    if (moderated) composer.detailLoaded(state.detail); // a comment deleted on the network is no longer the reply's target
    return;
  }
  messages.push(message);
  messages.sort((a, b) => (Date.parse(a.created_at) || 0) - (Date.parse(b.created_at) || 0) || a.id - b.id);
  const isNew = seen ? false : composer.messageArrived(message);
  thread.upsert(message, { isNew });
  if (message.direction === "inbound" && state.detail.channel === "private") refreshWindow(state.detail.id);
  if (message.post_external_id && !state.detail.posts?.[message.post_external_id]) refreshPosts(state.detail.id);
}

/** A message hangs off a post this thread has not shown yet: the detail has it (caption, link, thumbnail). */
async function refreshPosts(id) {
  try {
    const fresh = await get(`/conversations/${id}`);
    if (!state.detail || state.detail.id !== id) return;
    state.detail.posts = fresh.posts || {};
    thread.placeCards();
  } catch {
    // the run shows without its card until the conversation is opened again
  }
}

/** The customer wrote in private: the messaging window opened again; the server says until when. */
async function refreshWindow(id) {
  try {
    const fresh = await get(`/conversations/${id}`);
    if (!state.detail || state.detail.id !== id) return;
    state.detail.reply_window = fresh.reply_window;
    state.detail.reply_limit = fresh.reply_limit;
    composer.detailLoaded(state.detail);
  } catch {
    // the window line keeps the older state; sending still gets the server's answer
  }
}

/** A discarded reply leaves the thread. */
export function removeMessage(conversationId, messageId) {
  if (!state.detail || state.detail.id !== conversationId) return;
  state.detail.messages = state.detail.messages.filter((m) => m.id !== messageId);
  thread.remove(messageId);
}

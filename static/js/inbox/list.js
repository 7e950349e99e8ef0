// The list's loaded window: the first page from the API, more pages on scroll (cursor pagination),
// and live changes placed in order without reloading (app/conversations/queries.py sorts the same way).
import { get } from "./api.js";
import { _ } from "./i18n.js";
import { parseTime } from "./format.js";
import * as view from "./listview.js";
import { compare, insertionIndex, matches } from "./ordering.js";
import { emit, state } from "./store.js";

const PAGE_SIZE = 50;
const errorBox = document.getElementById("list-error");
let generation = 0; // bumps on every reload, so answers to an older filter are dropped
let loadingMore = false;

export function listQuery(filters = state.filters) {
  const { status, assignee, sla, channel, network, account, q, sort } = filters;
  return { status, assignee, sla, channel, network, account, q: (q || "").trim(), sort };
}

/** The newer of two copies of a conversation (events and page loads can cross on the wire). */
function newer(known, incoming) {
  if (!known) return incoming;
  const a = parseTime(known.updated_at);
  const b = parseTime(incoming.updated_at);
  return a !== null && b !== null && a > b ? known : incoming;
}

function showError(exc) {
  errorBox.hidden = !exc;
  errorBox.textContent = exc ? _("Could not load conversations: %(reason)s", { reason: exc.message }) : "";
}

export async function reload() {
  const mine = ++generation;
  let body;
  try {
    body = await get("/conversations", { ...listQuery(), limit: PAGE_SIZE });
  } catch (exc) {
    if (mine === generation) showError(exc);
    return false;
  }
  if (mine !== generation) return false;
  showError(null);
  const fresh = new Map();
  for (const conv of body.items) fresh.set(conv.id, newer(state.conversations.get(conv.id), conv));
  state.conversations = fresh;
  state.order = body.items.map((c) => c.id);
  state.order.sort((a, b) => compare(fresh.get(a), fresh.get(b), state.filters.sort));
  state.nextCursor = body.next_cursor;
  if (!fresh.has(state.cursorId)) state.cursorId = state.order[0] ?? null;
  for (const id of [...state.checked]) if (!fresh.has(id)) state.checked.delete(id);
  view.renderAll();
  emit("list:loaded");
  window.requestAnimationFrame(fillIfNearEnd);
  return true;
}

export async function loadMore() {
  if (!state.nextCursor || loadingMore) return;
  loadingMore = true;
  const mine = generation;
  try {
    const body = await get("/conversations", { ...listQuery(), limit: PAGE_SIZE, cursor: state.nextCursor });
    if (mine !== generation) return;
    const added = [];
    for (const conv of body.items) {
      if (state.conversations.has(conv.id)) continue; // already placed by a live event
      state.conversations.set(conv.id, conv);
      state.order.push(conv.id);
      added.push(conv.id);
    }
    state.nextCursor = body.next_cursor;
    view.appendRows(added);
  } catch (exc) {
    showError(exc);
    return;
  } finally {
    loadingMore = false;
  }
  window.requestAnimationFrame(fillIfNearEnd);
}

function dropFromWindow(id) {
  const index = state.order.indexOf(id);
  if (index < 0) return;
  state.order.splice(index, 1);
  state.conversations.delete(id);
  state.checked.delete(id);
  view.removeRow(id);
  if (state.cursorId === id) {
    state.cursorId = state.order[Math.min(index, state.order.length - 1)] ?? null;
    view.showCursor();
  }
}

/** A conversation changed (live event): insert, move, update or drop its row. */
export function applyConversation(conv) {
  const known = state.conversations.get(conv.id);
  const current = newer(known, conv);
  if (current !== conv) return;
  const fits = matches(conv, state.filters, state.me);
  if (fits === false || (fits === null && !known)) {
    dropFromWindow(conv.id);
    return;
  }
  if (known) state.order.splice(state.order.indexOf(conv.id), 1);
  const index = insertionIndex(state.order, state.conversations, conv, state.filters.sort);
  if (state.nextCursor && index >= state.order.length) {
    // It sorts after everything loaded: a later page brings it, where it belongs.
    if (known) {
      state.order.push(conv.id);
      dropFromWindow(conv.id);
    }
    return;
  }
  state.conversations.set(conv.id, conv);
  state.order.splice(index, 0, conv.id);
  if (state.cursorId === null) state.cursorId = conv.id;
  view.placeRow(conv.id);
  if (state.cursorId === conv.id || state.openId === conv.id) view.showCursor();
}

export function moveCursor(delta) {
  if (!state.order.length) return;
  const index = state.order.indexOf(state.cursorId);
  const next = index < 0 ? 0 : Math.max(0, Math.min(state.order.length - 1, index + delta));
  state.cursorId = state.order[next];
  view.showCursor();
  if (next >= state.order.length - 5) loadMore();
}

export function toggleChecked(id) {
  if (id === null || id === undefined) return;
  if (state.checked.has(id)) state.checked.delete(id);
  else state.checked.add(id);
  view.showChecked();
  emit("checked:changed");
}

const NEAR_END_PX = 400;
const scroller = document.getElementById("list-scroll");
const sentinel = document.getElementById("list-more");

/** Load the next page if the end of the list is (still) in view: the observer only reports changes. */
function fillIfNearEnd() {
  if (sentinel.getBoundingClientRect().top - scroller.getBoundingClientRect().bottom < NEAR_END_PX) loadMore();
}

/** Load the next page when the end of the list scrolls into view. */
export function watchScroll() {
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { root: scroller, rootMargin: `${NEAR_END_PX}px` });
  observer.observe(sentinel);
}

// The composer: reply or private note, the channel's limit (reply_limit: X public counts weighted
// characters by twitter-text, the rest characters), canned responses by "/shortcut", @mentions in notes,
// Ctrl/Cmd+Enter to send, and the duplicate guard: a reply carries the last message the agent saw, and a
// 409 shows what arrived meanwhile. In a private conversation it shows the messaging window (reply_window):
// the time left, the human-agent tag beyond it, or closed (send disabled, with the reason); refusals
// (422 codes, Instagram's hidden, deleted or live comments among them) are said in sentences of our own.
// On Instagram, whose comments thread one level deep, a reply to a reply says it goes under the top-level comment.
import { announce } from "./announce.js";
import { ApiError, post } from "./api.js";
import * as canned from "./canned.js";
import { listOf, parseTime } from "./format.js";
import { _, duration, ngettext, number, pgettext } from "./i18n.js";
import { languageName, networkName, replyRefusal, roleName } from "./names.js";
import { postOf } from "./postcard.js";
import * as presence from "./presence.js";
import { emit, state } from "./store.js";
import * as suggest from "./suggest.js";
import { bdi, codePoints, contactLabel, el, linkify, sentence, truncate } from "./text.js";
import * as thread from "./thread.js";

const form = document.getElementById("composer");
const textarea = document.getElementById("composer-text");
const counter = document.getElementById("composer-count");
const errorBox = document.getElementById("composer-error");
const sendButton = document.getElementById("composer-send");
const cannedSelect = document.getElementById("canned-select");
const targetLabel = document.getElementById("reply-target");
const conflictBox = document.getElementById("conflict");
const windowBox = document.getElementById("composer-window");
const noteBox = document.getElementById("composer-note");
const WINDOW_TICK_MS = 1000;
const FALLBACK_LIMITS = { twitter: 280, facebook: 8000, instagram: 2200 };
const PLACEHOLDERS = {
  reply: _("Write a reply. /shortcut inserts a canned response, Ctrl+Enter sends."),
  note: _("Private note for the team. @name mentions a teammate, Ctrl+Enter saves."),
};

// twitter-text (X's weighted count) is big: it loads once the inbox is interactive (loadCounter).
const TWITTER_TEXT = "/vendor/twitter-text/parse-tweet.js";
let parseTweet = null;
let counterLoaded = null;

const drafts = new Map(); // conversation id -> {text, mode, key}
let conversationId = null;
let loaded = Promise.resolve();
let mode = "reply";
let idempotencyKey = null;
let lastSeenId = 0;
let sending = false;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

function maxId(messages) {
  return messages.reduce((m, msg) => Math.max(m, msg.id), 0);
}

function network() {
  return state.detail?.network || state.conversations.get(conversationId)?.network || "custom";
}

/** The open conversation's detail, when it is the one this composer writes to. */
function detail() {
  return state.detail && state.detail.id === conversationId ? state.detail : null;
}

/** {used, max}: counted as reply_limit says (weighted: twitter-text, as X counts a post), else code points. */
export function measure(text) {
  if (mode === "note") return { used: codePoints(text), max: null };
  const limit = detail()?.reply_limit;
  const max = limit ? limit.max : FALLBACK_LIMITS[network()] ?? null;
  const weighted = limit ? limit.counting === "weighted" : network() === "twitter";
  const used = weighted && parseTweet ? parseTweet(text).weightedLength : codePoints(text);
  return { used, max };
}

/**
 * The reply window now: {state, closes, tagged} from reply_window, moved on by the clock alone
 * (open → human_agent → closed at the times the server gave); null when there is none (public, X DMs).
 */
export function windowNow(replyWindow, now = Date.now()) {
  if (!replyWindow || !replyWindow.state || replyWindow.state === "none") return null;
  const closes = parseTime(replyWindow.closes_at);
  const tagged = parseTime(replyWindow.human_agent_until);
  let current = replyWindow.state;
  if (current === "open" && closes !== null && now >= closes) current = tagged !== null && now < tagged ? "human_agent" : "closed";
  if (current === "human_agent" && tagged !== null && now >= tagged) current = "closed";
  return { state: current, closes, tagged };
}

function windowSentences(win, now) {
  const left = (until) => duration((until - now) / 1000);
  if (win.state === "open") {
    return [win.closes === null ? _("The messaging window is open.") : _("Window closes in %(time)s", { time: left(win.closes) })];
  }
  if (win.state === "human_agent") {
    return [_("Only the human-agent tag is allowed: sent tagged HUMAN_AGENT"),
      win.tagged === null ? null : _("Tagged replies are allowed for %(time)s more.", { time: left(win.tagged) })];
  }
  return [_("Closed: the customer must write first")];
}

let shownWindowState = null;

/** Show the window line (and re-check Send when the state moved on). */
function showWindow() {
  const win = mode === "reply" ? windowNow(detail()?.reply_window) : null;
  windowBox.hidden = !win;
  if (win) {
    const now = Date.now();
    const text = windowSentences(win, now).filter(Boolean).join(" ");
    if (windowBox.textContent !== text) windowBox.textContent = text;
    windowBox.dataset.state = win.state;
  }
  const next = win ? win.state : null;
  if (next !== shownWindowState) {
    // The line ticks every second, so it is not a live region; a change of state is said once.
    if (shownWindowState !== null && next !== null) announce(windowBox.textContent);
    shownWindowState = next;
    showCount();
  }
}

/** Replies cannot go out now (the window closed): notes still can. */
function replyBlocked() {
  return mode === "reply" && windowNow(detail()?.reply_window)?.state === "closed";
}

/** The open conversation's detail arrived (or its window was refreshed). */
export function detailLoaded(loaded) {
  if (loaded.id !== conversationId) return;
  showWindow();
  showCount();
  showTarget();
}

export function loadCounter() {
  counterLoaded = counterLoaded || import(TWITTER_TEXT).then((module) => {
    parseTweet = module.default;
    showCount();
  });
  return counterLoaded;
}

function showCount() {
  const { used, max } = measure(textarea.value);
  const over = max !== null && used > max;
  counter.textContent = max === null ? number(used)
    : over ? ngettext("%(num)s over the %(max)s limit", "%(num)s over the %(max)s limit", used - max, { max: number(max) })
    : _("%(used)s / %(max)s", { used: number(used), max: number(max) });
  counter.classList.toggle("is-over", over);
  const blocked = replyBlocked();
  sendButton.disabled = sending || over || blocked || !textarea.value.trim();
  if (blocked) sendButton.setAttribute("aria-describedby", "composer-window");
  else sendButton.removeAttribute("aria-describedby");
}

function latestInbound() {
  const messages = state.detail?.messages || [];
  // A comment deleted on the network can no longer be answered there.
  for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i].direction === "inbound" && messages[i].moderation !== "deleted") return messages[i];
  return null;
}

function replyTarget() {
  const messages = state.detail?.messages || [];
  return messages.find((m) => m.id === state.replyToId) || latestInbound();
}

/** A public Instagram comment that answers another comment (not the media): replies to it go one level up. */
function isReplyToComment(message) {
  return Boolean(message && message.in_reply_to && message.post_external_id && message.in_reply_to !== message.post_external_id);
}

/** The line under the text: how this network threads the reply (Instagram: one level of replies). */
function showNote(target) {
  const conv = detail();
  const instagram = mode === "reply" && conv?.network === "instagram" && conv.channel !== "private";
  const media = instagram ? postOf(conv, target) : null;
  let note = [];
  if (media && media.owned === false) {
    // A mention: the answer goes through the mentions edge, as a comment on the other person's media.
    note = media.owner_handle
      ? sentence(_("This reply is posted as a comment on %(owner)s's post, where the brand was mentioned."),
        { owner: bdi(`@${media.owner_handle}`) })
      : [_("This reply is posted as a comment on the post where the brand was mentioned.")];
  } else if (media && String(media.product_type || "").toUpperCase() === "LIVE") {
    note = [_("Instagram does not allow public replies to comments on a live video: move it to DM (a private reply) while the video is live.")];
  } else if (instagram && isReplyToComment(target)) {
    note = [_("Instagram keeps one level of replies: this reply goes under the top-level comment this one answers.")];
  }
  noteBox.hidden = note.length === 0;
  noteBox.replaceChildren(...note);
}

function showTarget() {
  const target = mode === "reply" ? replyTarget() : null;
  targetLabel.replaceChildren(...(target
    ? sentence(_("Replying to %(name)s: “%(text)s”"), { name: el("bdi", {}, contactLabel(target.author)), text: bdi(truncate(target.text, 60)) }) : []));
  showNote(target);
  thread.showReplyTarget(target ? target.id : null); // also the message h, l and Delete act on
}

function setMode(next) {
  mode = next;
  for (const tab of form.querySelectorAll("[data-mode]")) tab.setAttribute("aria-selected", String(tab.dataset.mode === mode));
  form.classList.toggle("is-note", mode === "note");
  textarea.placeholder = PLACEHOLDERS[mode];
  textarea.setAttribute("aria-label", mode === "note" ? _("Private note") : pgettext("noun", "Reply"));
  sendButton.querySelector(".send-label").textContent = mode === "note" ? _("Save note") : pgettext("verb", "Send");
  showCount();
  showWindow();
  showTarget();
}

function saveDraft() {
  if (conversationId === null) return;
  if (textarea.value) drafts.set(conversationId, { text: textarea.value, mode, key: idempotencyKey, lastSeenId });
  else drafts.delete(conversationId);
}

/** Show the composer for conversation `id`; `whenLoaded` resolves once state.detail is that conversation. */
export function bind(id, whenLoaded) {
  saveDraft();
  presence.stopTyping();
  suggest.close();
  hideConflict();
  conversationId = id;
  loaded = whenLoaded;
  const draft = drafts.get(id);
  textarea.value = draft ? draft.text : "";
  idempotencyKey = draft ? draft.key : newKey();
  lastSeenId = draft ? draft.lastSeenId : 0;
  state.replyToId = null;
  errorBox.textContent = "";
  setMode(draft ? draft.mode : "reply");
  offerLanguage(id, state.conversations.get(id)?.language);
  whenLoaded.then(() => offerLanguage(id, state.detail?.id === id ? state.detail.language : undefined));
}

/** Canned responses in the conversation's language first (conversation.language; null or absent: unknown). */
function offerLanguage(id, language) {
  if (language === undefined || conversationId !== id) return;
  canned.useLanguage(language).then((changed) => {
    if (changed && conversationId === id) fillCannedSelect();
  });
}

/** The thread was (re)loaded: what it shows counts as seen unless the agent is mid-draft. Returns the ids not seen yet. */
export function threadLoaded(messages) {
  if (!textarea.value.trim() || lastSeenId === 0) {
    lastSeenId = Math.max(lastSeenId, maxId(messages));
    return [];
  }
  showTarget();
  showCount();
  return messages.filter((m) => m.id > lastSeenId).map((m) => m.id);
}

/** A message arrived live; returns true when the agent has not seen it yet (they are writing). */
export function messageArrived(message) {
  if (message.id <= lastSeenId) return false;
  if (textarea.value.trim()) {
    showTarget();
    return true;
  }
  lastSeenId = message.id;
  showTarget();
  return false;
}

export function focus(nextMode = "reply") {
  if (nextMode !== mode) setMode(nextMode);
  textarea.focus();
}

export function replyTo(message) {
  state.replyToId = message.id;
  setMode("reply");
  textarea.focus();
}

function clearAfterSend() {
  textarea.value = "";
  drafts.delete(conversationId);
  idempotencyKey = newKey();
  state.replyToId = null;
  lastSeenId = Math.max(lastSeenId, maxId(state.detail?.messages || []));
  thread.markAllSeen();
  hideConflict();
  showCount();
  showTarget();
}

function mentionedIds(text) {
  return [...state.team.values()].filter((u) => text.includes(`@${u.name}`)).map((u) => u.id);
}

function hideConflict() {
  conflictBox.hidden = true;
  conflictBox.replaceChildren();
}

function showConflict(newer) {
  for (const message of newer) emit("message", { message, seen: true });
  lastSeenId = Math.max(lastSeenId, maxId(newer));
  const others = newer.filter((m) => m.direction === "outbound").length;
  const customer = newer.filter((m) => m.direction === "inbound").length;
  // What happened, as clauses joined the reader's way ("a reply was sent and the customer wrote again").
  const clauses = [
    others === 1 ? _("a reply was sent") : others ? ngettext("%(num)s reply was sent", "%(num)s replies were sent", others) : null,
    customer === 1 ? _("the customer wrote again")
      : customer ? ngettext("the customer wrote %(num)s more message", "the customer wrote %(num)s more messages", customer) : null,
  ].filter(Boolean);
  const why = clauses.length ? listOf(clauses) : _("new messages arrived");
  conflictBox.replaceChildren(
    el("p", { class: "conflict-title", text: _("Not sent: while you were writing, %(what)s. Read them, then send or discard your reply.", { what: why }) }),
    el("ol", { class: "conflict-messages" }, newer.map((m) => el("li", { class: `msg-${m.direction}` },
      el("span", { class: "msg-author", dir: "auto" },
        m.direction === "inbound" ? contactLabel(m.author) : bdi(m.author.name || pgettext("noun", "Reply"))),
      el("p", { class: "msg-text", dir: "auto" }, linkify(m.text))))),
    el("div", { class: "conflict-actions" },
      el("button", { type: "button", class: "primary send-anyway", text: _("Send anyway"), on: { click: () => send() } }),
      el("button", { type: "button", class: "discard-reply", text: _("Discard my reply"), on: { click: discard } }),
      el("span", { class: "muted", text: _("Ctrl+Enter also sends.") })),
  );
  conflictBox.hidden = false;
  thread.scrollTo(newer[newer.length - 1]?.id);
}

export function discard() {
  clearAfterSend();
  textarea.focus();
}

async function submit(id, text) {
  if (mode === "note") return post(`/conversations/${id}/notes`, { text, mentions: mentionedIds(text) });
  const target = replyTarget();
  return post(`/conversations/${id}/replies`, {
    text,
    in_reply_to_message_id: target ? target.id : null,
    last_seen_message_id: lastSeenId || null,
  }, { "Idempotency-Key": idempotencyKey });
}

export async function send() {
  const id = conversationId;
  const text = textarea.value;
  if (sending || id === null || !text.trim()) return;
  sending = true;
  errorBox.textContent = "";
  showCount();
  try {
    await Promise.all([loaded, loadCounter()]); // the thread on screen (last_seen_message_id is what the agent saw), exact count
    if (replyBlocked()) {
      errorBox.textContent = replyRefusal("outside_window");
      return;
    }
    const { used, max } = measure(text);
    if (max !== null && used > max) {
      const values = { network: networkName(network()), max: number(max) };
      errorBox.textContent = ngettext("Too long for %(network)s: %(num)s over the limit of %(max)s.",
        "Too long for %(network)s: %(num)s over the limit of %(max)s.", used - max, values);
      return;
    }
    const message = await submit(id, text);
    presence.stopTyping();
    if (conversationId === id) {
      emit("message", { message, seen: true });
      clearAfterSend();
    } else {
      drafts.delete(id);
    }
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 409 && Array.isArray(exc.body.newer_messages)) {
      if (conversationId === id) showConflict(exc.body.newer_messages);
    } else if (exc instanceof ApiError && exc.status === 422 && replyRefusal(exc.code, exc.details)) {
      errorBox.textContent = replyRefusal(exc.code, exc.details); // refused before queueing: nothing was sent
      if (exc.code === "outside_window" && detail()) {
        detail().reply_window = { ...(detail().reply_window || {}), state: "closed" };
        showWindow();
      }
    } else {
      errorBox.textContent = exc.message; // the text stays, with the same idempotency key: retrying is safe
    }
  } finally {
    sending = false;
    showCount();
  }
}

function insertAtCaret(text, replaceFrom = textarea.selectionStart) {
  const end = textarea.selectionEnd;
  textarea.setRangeText(text, replaceFrom, end, "end");
  textarea.dispatchEvent(new Event("input"));
  textarea.focus();
}

function fillCanned(item) {
  return canned.fill(item.text, { contact: state.detail?.contact || state.conversations.get(conversationId)?.contact, agent: state.me });
}

function offerSuggestions() {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const slash = /(?:^|\s)\/([\p{L}\p{N}_-]*)$/u.exec(before);
  if (slash) {
    const start = textarea.selectionStart - slash[1].length - 1;
    suggest.open(canned.find(slash[1]).slice(0, 8).map((c) => ({ label: `/${c.shortcut}`, detail: c.title, language: c.language, value: c })),
      (item) => insertAtCaret(fillCanned(item), start));
    return;
  }
  const at = mode === "note" ? /(?:^|\s)@([\p{L}\p{N}_ .-]{0,30})$/u.exec(before) : null;
  if (at) {
    const start = textarea.selectionStart - at[1].length - 1;
    const needle = at[1].toLocaleLowerCase();
    const people = [...state.team.values()].filter((u) => u.name.toLocaleLowerCase().startsWith(needle)).slice(0, 8);
    suggest.open(people.map((u) => ({ label: u.name, detail: roleName(u.role), value: u })), (u) => insertAtCaret(`@${u.name} `, start));
    return;
  }
  suggest.close();
}

/** "[RU] /thanks — Thank you": the language code as the badge an <option> can hold, its name on hover. */
export function fillCannedSelect() {
  cannedSelect.replaceChildren(cannedSelect.options[0], ...canned.current().map((c) => el("option", {
    value: String(c.id),
    lang: c.language || undefined,
    title: c.language ? languageName(c.language) : undefined,
    text: c.language ? `[${c.language.toUpperCase()}] /${c.shortcut} — ${c.title}` : `/${c.shortcut} — ${c.title}`,
  })));
}

export function init() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  for (const tab of form.querySelectorAll("[data-mode]")) tab.addEventListener("click", () => focus(tab.dataset.mode));
  textarea.addEventListener("input", () => {
    showCount();
    offerSuggestions();
    if (!textarea.value.trim()) {
      lastSeenId = Math.max(lastSeenId, maxId(state.detail?.messages || []));
      thread.markAllSeen();
    }
    if (conversationId !== null && mode === "reply" && textarea.value) presence.typing(conversationId);
  });
  textarea.addEventListener("blur", () => {
    presence.stopTyping();
    window.setTimeout(() => suggest.close(), 150);
  });
  textarea.addEventListener("keydown", (event) => {
    if (suggest.handleKey(event)) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape") {
      event.preventDefault();
      textarea.blur();
      document.getElementById("conversation-list").focus();
    }
  });
  window.setInterval(() => {
    if (!windowBox.hidden) showWindow();
  }, WINDOW_TICK_MS);
  cannedSelect.addEventListener("change", () => {
    const item = canned.current().find((c) => String(c.id) === cannedSelect.value);
    cannedSelect.value = "";
    if (item) insertAtCaret(fillCanned(item));
  });
  showCount();
}

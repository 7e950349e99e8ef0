// Who is viewing and who is typing, per conversation, over Socket.IO ("view", "typing" → "presence").
import * as header from "./header.js";
import * as listview from "./listview.js";
import { state } from "./store.js";

const TYPING_REPEAT_MS = 3000; // re-announce while typing, at most this often
const TYPING_IDLE_MS = 4000; // then "stopped typing" after this long without a key
let socket = null;
let typingFor = null;
let lastTypingSent = 0;
let idleTimer = null;

export function apply(presence) {
  if (!presence || presence.conversation_id === undefined || presence.conversation_id === null) return;
  state.presence.set(presence.conversation_id, { viewers: presence.viewers || [], typers: presence.typers || [] });
  listview.refreshPresence(presence.conversation_id);
  if (state.detail && state.detail.id === presence.conversation_id) header.renderPresence();
}

export function init(sock) {
  socket = sock;
  socket.on("presence", apply);
}

/** After a (re)connect: everyone's presence (the open conversation's view is re-sent by conversation.reload). */
export function syncAll() {
  socket.emit("presence", null, (all) => {
    const stale = [...state.presence.keys()];
    state.presence.clear();
    for (const id of stale) listview.refreshPresence(id);
    for (const snapshot of all || []) apply(snapshot);
  });
}

/** Tell the server which conversation this tab shows (null: none); its answer is that conversation's presence. */
export function view(conversationId) {
  if (typingFor !== null && typingFor !== conversationId) stopTyping();
  if (!socket || !socket.connected) return;
  socket.emit("view", { conversation_id: conversationId }, (answer) => apply(answer));
}

/** Call on every input in the composer. */
export function typing(conversationId) {
  if (!socket) return;
  const now = Date.now();
  if (typingFor !== conversationId || now - lastTypingSent > TYPING_REPEAT_MS) {
    if (typingFor !== null && typingFor !== conversationId) stopTyping();
    typingFor = conversationId;
    lastTypingSent = now;
    socket.emit("typing", { conversation_id: conversationId, typing: true });
  }
  window.clearTimeout(idleTimer);
  idleTimer = window.setTimeout(stopTyping, TYPING_IDLE_MS);
}

/** Call on blur, send and when leaving the conversation. */
export function stopTyping() {
  window.clearTimeout(idleTimer);
  if (typingFor === null || !socket) return;
  socket.emit("typing", { conversation_id: typingFor, typing: false });
  typingFor = null;
  lastTypingSent = 0;
}

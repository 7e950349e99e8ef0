// Move to DM (m, or the header's button): a small dialog with the first private message, editable;
// Ctrl/Cmd+Enter sends POST /conversations/{id}/move-to-private. On Facebook and Instagram the server sends it
// as the comment's one Private Reply (the server's can_move_to_private decides whether it can); on X it posts a public reply with a DM link and sends the DM where the
// customer accepts them. On success the inbox opens the private conversation, cursor in the composer.
import { announce } from "./announce.js";
import { ApiError, post } from "./api.js";
import { moveState } from "./header.js";
import { _ } from "./i18n.js";
import { moveRefusal, replyRefusal } from "./names.js";
import { emit, state } from "./store.js";
import { toast } from "./toast.js";

const dialog = document.getElementById("move-dialog");
const form = document.getElementById("move-form");
const textarea = document.getElementById("move-text");
const how = document.getElementById("move-how");
const errorBox = document.getElementById("move-error");
const sendButton = document.getElementById("move-send");

// The same words the server uses when no text is given, here so the agent can edit them first.
const DEFAULT_TEXT = _("Hello, we have moved our conversation to a private message so we can help you with your details.");
const HOW = {
  private_reply: _("Sent as the one private reply Facebook allows to the customer's comment."),
  private_reply_instagram: _("Sent as the one private reply Instagram allows to the customer's comment. The customer's answer opens the 24-hour messaging window."),
  dm_link: _("A public reply with a link to your direct messages is posted, and this is sent as a direct message where the customer accepts them."),
};
const HOW_UNKNOWN = _("The customer gets this as a private message; the public conversation links to it.");

let conversationId = null;
let returnFocus = null; // where the agent was before the dialog (Esc or Cancel goes back there)
let sending = false;
let onMoved = () => {};

/** `moved(privateConversation)`: what to do once it moved (main.js opens it). */
export function init(moved) {
  onMoved = moved;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  document.getElementById("move-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    conversationId = null;
    if (returnFocus && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
    returnFocus = null;
  });
}

/** Open the dialog for `detail` (the open conversation), or say why it cannot move. */
export function start(detail) {
  const move = moveState(detail);
  if (!move.allowed) {
    toast(moveRefusal(move.reason, detail.network) || _("This conversation cannot move to a private message."), { kind: "error" });
    return;
  }
  conversationId = detail.id;
  returnFocus = document.activeElement;
  textarea.value = DEFAULT_TEXT;
  how.textContent = HOW[`${move.via}_${detail.network}`] || HOW[move.via] || HOW_UNKNOWN;
  errorBox.textContent = "";
  sendButton.disabled = false;
  dialog.showModal();
  textarea.focus();
}

function lastSeenId(id) {
  const messages = state.detail && state.detail.id === id ? state.detail.messages : [];
  return messages.reduce((m, msg) => Math.max(m, msg.id), 0) || null;
}

function refusal(exc) {
  if (!(exc instanceof ApiError)) return exc.message;
  if (exc.status === 409 && Array.isArray(exc.body.newer_messages)) {
    for (const message of exc.body.newer_messages) emit("message", { message, seen: true });
    return _("Not moved: new messages arrived meanwhile. Read them, then try again.");
  }
  return (exc.status === 422 && (moveRefusal(exc.code, state.detail?.network) || replyRefusal(exc.code, exc.details))) || exc.message;
}

export async function send() {
  const id = conversationId;
  if (sending || id === null) return;
  sending = true;
  sendButton.disabled = true;
  errorBox.textContent = "";
  let body;
  try {
    const request = {};
    if (lastSeenId(id)) request.last_seen_message_id = lastSeenId(id);
    if (textarea.value.trim()) request.text = textarea.value.trim(); // none: the server's default words
    body = await post(`/conversations/${id}/move-to-private`, request);
  } catch (exc) {
    errorBox.textContent = refusal(exc);
    return;
  } finally {
    sending = false;
    sendButton.disabled = false;
  }
  returnFocus = null; // the private conversation opens with the cursor in its composer
  dialog.close();
  if (body.public) emit("conversation", body.public);
  for (const message of body.messages || []) emit("message", { message, seen: true });
  announce(_("Moved to a private conversation."));
  onMoved(body.conversation);
}

// Moderation on the network from the open conversation: hide / unhide (h), like / unlike (l), delete (Delete
// or #, after a confirmation) of the selected customer message, plus a button for each in the message itself.
// Only what the message's network offers and the agent's role allows is shown (state.me.permissions, from the
// page); the server checks both again. The answer ({"message"}) goes on the bus like a live message.updated,
// so every view updates the same way; a refusal says the network's reason in the composer's error line.
import { announce } from "./announce.js";
import { ApiError, api, post } from "./api.js";
import { _, pgettext } from "./i18n.js";
import { moderationRefusal } from "./modnames.js";
import { networkName } from "./names.js";
import { emit, on, state } from "./store.js";
import { bdi, contactLabel, el, sentence, truncate } from "./text.js";

const errorBox = document.getElementById("composer-error");
const dialog = document.getElementById("delete-dialog");
const dialogWhat = document.getElementById("delete-what");
const dialogText = document.getElementById("delete-text");
const busy = new Set(); // message ids with an action on the wire
let toDelete = null;
let returnFocus = null;

const PERMISSION = { hide: "moderation.hide", unhide: "moderation.hide", like: "moderation.like", unlike: "moderation.like",
  delete: "moderation.delete" };
const KIND = { hide: "hide", unhide: "hide", like: "like", unlike: "like", delete: "delete" };
const COMMENTS = new Set(["facebook", "instagram"]);
const LIKES = new Set(["twitter", "facebook", "instagram"]);

export const permitted = (name) => Boolean(state.me?.permissions?.has(name));

/**
 * What the network offers for `msg` in conversation `conv`: hide (Facebook and Instagram comments, X replies),
 * delete (Facebook and Instagram comments), like (X, Facebook, Instagram). Customer posts in public only;
 * nothing once it is deleted.
 */
export function offered(msg, conv) {
  const network = conv?.network;
  if (!msg || msg.direction !== "inbound" || conv?.channel === "private" || msg.moderation === "deleted") return new Set();
  // A caption that mentions the brand is someone else's media, not a comment; a comment on someone else's
  // media is theirs to hide or delete (the brand may still like it).
  if (msg.post_external_id && msg.post_external_id === msg.external_id) return new Set();
  const othersPost = conv.posts?.[msg.post_external_id]?.owned === false;
  const actions = new Set();
  if ((COMMENTS.has(network) && !othersPost) || (network === "twitter" && msg.in_reply_to)) actions.add("hide");
  if (COMMENTS.has(network) && !othersPost) actions.add("delete");
  if (LIKES.has(network)) actions.add("like");
  return actions;
}

/** The actions this agent may take on `msg` now: hide or unhide, like or unlike, delete. */
export function available(msg, conv) {
  const result = [];
  for (const action of offered(msg, conv)) {
    const now = action === "hide" && msg.moderation === "hidden" ? "unhide" : action === "like" && msg.liked ? "unlike" : action;
    if (permitted(PERMISSION[now])) result.push(now);
  }
  return result;
}

/** The message the keys act on: the one holding the focus in the thread, else the composer's reply target. */
export function selected() {
  const detail = state.detail;
  if (!detail) return null;
  const node = document.activeElement?.closest?.("#thread .msg");
  const messages = detail.messages || [];
  const id = node ? Number(node.dataset.id) : state.replyToId;
  const chosen = messages.find((m) => m.id === id);
  if (chosen) return chosen;
  for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i].direction === "inbound" && messages[i].moderation !== "deleted") return messages[i];
  return null;
}

// What happened, said politely to screen readers; what was refused, in the composer's error line.
const DONE = {
  hide: (network) => _("Hidden on %(network)s.", { network }),
  unhide: (network) => _("Shown again on %(network)s.", { network }),
  like: (network) => _("Liked on %(network)s.", { network }),
  unlike: (network) => _("Like taken back on %(network)s.", { network }),
  delete: (network) => _("Deleted on %(network)s.", { network }),
};
const FAILED = {
  hide: (reason) => _("Not hidden: %(reason)s", { reason }),
  unhide: (reason) => _("Not shown again: %(reason)s", { reason }),
  like: (reason) => _("Not liked: %(reason)s", { reason }),
  unlike: (reason) => _("Like not taken back: %(reason)s", { reason }),
  delete: (reason) => _("Not deleted: %(reason)s", { reason }),
};

/** A refusal as a sentence: the network's reason (422), the role (403), the network out of reach (503). */
export function explain(exc, network) {
  if (!(exc instanceof ApiError)) return exc.message;
  const error = exc.body?.error || {};
  // The contract's "reason" (MODERATION_REFUSALS): beside the error, or inside it.
  const reason = exc.body?.reason ?? error.reason ?? (exc.details && typeof exc.details === "object" ? exc.details.reason : undefined);
  if (exc.status === 422 && reason) {
    return moderationRefusal(reason, network) || exc.message;
  }
  if (exc.status === 403) return exc.message; // the server's sentence names what the role may not do
  if (exc.status === 503 && exc.code === "unavailable") {
    return _("%(network)s cannot be reached right now, so nothing changed. Try again in a moment.", { network: networkName(network) });
  }
  return exc.message;
}

function say(text) {
  errorBox.textContent = text;
}

/** Run `action` on `msg` (of the open conversation): the server acts on the network and answers the message. */
export async function run(action, msg) {
  const conv = state.detail;
  if (!msg || !conv || busy.has(msg.id)) return;
  say("");
  busy.add(msg.id);
  try {
    const body = action === "delete"
      ? await api(`/messages/${msg.id}`, { method: "DELETE" })
      : await post(`/messages/${msg.id}/${action}`);
    if (body && body.message) emit("message", { message: body.message, seen: true });
    announce(DONE[action](networkName(conv.network)));
  } catch (exc) {
    say(FAILED[action](explain(exc, conv.network)));
  } finally {
    busy.delete(msg.id);
  }
}

/** A key's action on the selected message: the toggle it stands for, if the message has it. */
function byKey(kind) {
  const msg = selected();
  if (!msg) return;
  const actions = available(msg, state.detail);
  const action = actions.find((a) => KIND[a] === kind);
  if (!action) {
    say(msg.direction === "inbound" ? unavailable(kind, msg) : _("Only customer messages can be moderated on the network."));
    return;
  }
  if (action === "delete") confirmDelete(msg);
  else run(action, msg);
}

function unavailable(kind, msg) {
  if (msg.moderation === "deleted") return _("This message was deleted on the network.");
  if (!offered(msg, state.detail).has(kind)) {
    return _("%(network)s does not offer this for this message.", { network: networkName(state.detail.network) });
  }
  return _("Your role may not do this. An admin can change who may moderate.");
}

export const toggleHidden = () => byKey("hide");
export const toggleLiked = () => byKey("like");
export const remove = () => byKey("delete");

/** Ask before deleting: the dialog says what goes and that it cannot be undone; Cancel (and Esc) keep it. */
export function confirmDelete(msg) {
  const conv = state.detail;
  if (!conv) return;
  toDelete = msg;
  returnFocus = document.activeElement;
  dialogWhat.textContent = _("It is removed from %(network)s for everyone, and this cannot be undone. Carebox keeps it, marked as deleted, for the team.",
    { network: networkName(conv.network) });
  dialogText.replaceChildren(...sentence(_("%(name)s wrote: “%(text)s”"),
    { name: el("span", { class: "msg-author", dir: "auto" }, contactLabel(msg.author)), text: bdi(truncate(msg.text, 200)) }));
  document.getElementById("delete-confirm").textContent = _("Delete on %(network)s", { network: networkName(conv.network) });
  dialog.returnValue = "";
  dialog.showModal();
  document.getElementById("delete-cancel").focus(); // the safe choice first
}

/** The buttons inside one message, for the mouse (the keys do the same on the selected message). */
export function buttons(msg) {
  const actions = available(msg, state.detail);
  if (!actions.length) return null;
  const label = {
    hide: [pgettext("moderation", "Hide"), "h"], unhide: [pgettext("moderation", "Unhide"), "h"],
    like: [pgettext("moderation", "Like"), "l"], unlike: [pgettext("moderation", "Unlike"), "l"],
    delete: [pgettext("moderation", "Delete"), "Delete"],
  };
  return el("span", { class: "msg-tools", role: "group", "aria-label": _("On the network") },
    actions.map((action) => el("button", {
      type: "button", class: `link mod-${action}`, dataset: { action, kind: KIND[action] }, "aria-keyshortcuts": label[action][1],
      text: label[action][0],
      on: { click: () => (action === "delete" ? confirmDelete(msg) : run(action, msg)) },
    })));
}

export function init() {
  const root = document.getElementById("inbox");
  state.me.permissions = new Set((root.dataset.permissions || "").split(" ").filter(Boolean));
  document.getElementById("delete-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("delete-confirm").addEventListener("click", () => dialog.close("delete"));
  dialog.addEventListener("close", () => {
    const msg = toDelete;
    toDelete = null;
    if (returnFocus && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
    returnFocus = null;
    if (dialog.returnValue === "delete" && msg) run("delete", msg);
  });
  // A moderation change seen live (or answered to this tab) marks the row of its conversation.
  on("message", ({ message }) => {
    if (!message || message.direction !== "inbound") return;
    const known = state.moderated.get(message.conversation_id);
    if (message.moderation === "visible" && known?.id !== message.id) return;
    if (message.moderation === "visible") state.moderated.delete(message.conversation_id);
    else state.moderated.set(message.conversation_id, { id: message.id, moderation: message.moderation });
    emit("row:changed", message.conversation_id);
  });
}

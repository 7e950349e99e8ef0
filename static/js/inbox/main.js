// The inbox page: wires the modules together, loads the first page, then stays live over Socket.IO.
import * as actions from "./actions.js";
import { announce, conversationArrived } from "./announce.js";
import { get, patch, post } from "./api.js";
import * as bulk from "./bulk.js";
import * as bulkModeration from "./bulkmoderation.js";
import * as canned from "./canned.js";
import { startTicking } from "./clock.js";
import * as composer from "./composer.js";
import * as conversation from "./conversation.js";
import * as counts from "./counts.js";
import * as customer from "./customer.js";
import * as filters from "./filters.js";
import * as header from "./header.js";
import { _ } from "./i18n.js";
import * as keyboard from "./keyboard.js";
import * as list from "./list.js";
import * as listview from "./listview.js";
import * as moderation from "./moderation.js";
import * as move from "./move.js";
import * as notifications from "./notifications.js";
import { matches } from "./ordering.js";
import * as presence from "./presence.js";
import * as related from "./related.js";
import { connect } from "./socket.js";
import { emit, on, state } from "./store.js";
import { contactName, isolated } from "./text.js";
import * as thread from "./thread.js";
import { toastError } from "./toast.js";

const root = document.getElementById("inbox");
state.me = {
  id: Number(root.dataset.userId),
  name: root.dataset.userName,
  role: root.dataset.userRole,
  is_available: root.dataset.userAvailable === "true",
};
let focusOn = "list"; // what e / a act on: the list cursor, or the conversation just opened

function openConversation(id, options) {
  focusOn = "open";
  return conversation.open(id, options);
}

function target() {
  return focusOn === "open" && state.openId !== null ? state.openId : state.cursorId ?? state.openId;
}

// --- one path for every change, whether it came from this tab's own action or a live event --------
on("conversation", (conv) => {
  list.applyConversation(conv);
  conversation.applyConversation(conv);
  related.applyConversation(conv);
  counts.refreshSoon();
});
on("message", ({ message, conversation: conv, seen, force }) => {
  if (conv) emit("conversation", conv);
  conversation.applyMessage(message, { seen, force });
});

async function messageAction(message, verb) {
  if (verb === "retry") emit("message", { message: { ...message, delivery_status: "queued", delivery_error: null }, seen: true, force: true });
  try {
    const answer = await post(`/messages/${message.id}/${verb}`);
    if (verb === "retry") {
      emit("message", { message: answer, seen: true });
    } else {
      conversation.removeMessage(message.conversation_id, message.id); // discard answers with the conversation
      emit("conversation", answer);
    }
  } catch (exc) {
    toastError(exc, verb === "retry" ? _("Could not retry the reply") : _("Could not discard the reply"));
    conversation.reload(); // show the reply's real state again
  }
}

thread.setHandlers({
  replyTo: (message) => composer.replyTo(message),
  retry: (message) => messageAction(message, "retry"),
  discard: (message) => messageAction(message, "discard"),
  tools: (message) => moderation.buttons(message),
});
on("row:changed", (id) => listview.refreshRow(id));
on("teams:loaded", () => listview.renderAll());
listview.onOpenRequested((id) => openConversation(id));
customer.onOpenRequested((id) => openConversation(id, {}));
related.onOpenRequested((id) => openConversation(id, {}));

/** Move to DM from the open conversation (opening the one under the cursor first, when none is open). */
async function moveToPrivate() {
  const id = target();
  if (id === null || id === undefined) return;
  if (state.openId !== id || !state.detail) await openConversation(id);
  if (state.detail && state.detail.id === id) move.start(state.detail);
}

header.setHandlers({ open: (id) => openConversation(id, {}), move: moveToPrivate });
move.init((privateConversation) => {
  if (!privateConversation) return;
  emit("conversation", privateConversation);
  openConversation(privateConversation.id, { focus: "reply" });
});

// --- reference data: team, accounts, canned responses, my availability ---------------------------
async function loadReference() {
  const [team, accounts] = await Promise.all([
    get("/team").catch(() => ({ items: [] })),
    get("/accounts").catch(() => ({ items: [] })),
    canned.load(),
  ]);
  state.team = new Map((team.items || []).map((u) => [u.id, u]));
  state.accounts = new Map((accounts.items || []).map((a) => [a.id, a]));
  filters.fillAccounts();
  bulk.fillAssignees();
  composer.fillCannedSelect();
  listview.renderAll(); // assignee names and account names in the rows
  if (state.detail) conversation.applyConversation(state.detail);
}

function initAvailability() {
  const toggle = document.getElementById("availability");
  toggle.checked = state.me.is_available;
  toggle.addEventListener("change", async () => {
    try {
      const me = await patch("/me", { is_available: toggle.checked });
      state.me.is_available = me.is_available;
    } catch (exc) {
      toggle.checked = !toggle.checked;
      toastError(exc, _("Could not change your availability"));
    }
  });
}

// --- live ------------------------------------------------------------------------------------------
function sync() {
  presence.syncAll();
  list.reload();
  counts.refresh();
  conversation.reload();
  notifications.load();
}

/** What a live change means to this agent, said politely (announce.js): new work, work handed to them. */
function announceLive(event, data) {
  const conv = data.conversation;
  if (!conv) return;
  if (event === "conversation.created" && matches(conv, state.filters, state.me) !== false) conversationArrived();
  const assignee = data.changes && data.changes.assignee_id;
  if (event === "conversation.updated" && assignee && assignee.to === state.me.id && assignee.from !== state.me.id) {
    announce(_("The conversation with %(name)s is assigned to you.", { name: isolated(contactName(conv.contact)) }));
  }
}

/** Socket.IO, started once the first page is on screen; every (re)connect re-syncs from the API. */
function startLive() {
  const socket = connect({
    onConnect: sync,
    "conversation.created": (data) => {
      emit("conversation", data.conversation);
      announceLive("conversation.created", data);
    },
    "conversation.updated": (data) => {
      const discarded = data.changes && data.changes.discarded_message_id;
      if (discarded) conversation.removeMessage(data.conversation.id, discarded.from);
      emit("conversation", data.conversation);
      announceLive("conversation.updated", data);
    },
    "sla.changed": (data) => emit("conversation", data.conversation),
    "message.created": (data) => emit("message", { message: data.message, conversation: data.conversation }),
    "message.updated": (data) => emit("message", { message: data.message, conversation: data.conversation }),
    notification: (data) => notifications.arrived(data.notification || data),
  });
  presence.init(socket);
}

// --- keyboard ---------------------------------------------------------------------------------------
keyboard.init({
  move(delta) {
    focusOn = "list";
    list.moveCursor(delta);
  },
  open() {
    if (state.cursorId !== null) openConversation(state.cursorId);
  },
  reply() {
    const id = focusOn === "open" && state.openId !== null ? state.openId : state.cursorId;
    if (id !== null && id !== undefined) openConversation(id, { focus: "reply" });
  },
  note() {
    const id = target();
    if (id !== null && id !== undefined) openConversation(id, { focus: "note" });
  },
  resolve() {
    const id = target();
    if (id !== null && id !== undefined) actions.resolve(id);
  },
  claim() {
    const id = target();
    if (id !== null && id !== undefined) actions.claim(id);
  },
  moveToPrivate,
  toggleHidden: () => moderation.toggleHidden(),
  toggleLiked: () => moderation.toggleLiked(),
  deleteMessage: () => moderation.remove(),
  toggleChecked: () => list.toggleChecked(state.cursorId),
  search: () => filters.focusSearch(),
  closePanels() {
    document.getElementById("notifications-panel").hidden = true;
  },
});

// --- start -------------------------------------------------------------------------------------------
moderation.init();
filters.init();
composer.init();
bulk.init();
bulkModeration.init();
notifications.init((id) => openConversation(id));
initAvailability();
list.watchScroll();
startTicking();
counts.startPeriodic();
document.getElementById("conversation-list").focus({ preventScroll: true });
// The list first, alone (it is what the agent waits for); then everything else.
list.reload().finally(() => {
  performance.mark("inbox-interactive");
  document.body.dataset.inboxReady = "true";
  startLive();
  loadReference();
  composer.loadCounter();
});

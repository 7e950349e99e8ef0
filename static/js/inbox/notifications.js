// Notifications for this user (@mentions in notes, assignments…): a count in the top bar, a panel,
// and a toast when one arrives live. Text only.
import { get, post } from "./api.js";
import { ago, fullTime } from "./format.js";
import { _, ngettext, number } from "./i18n.js";
import { el } from "./text.js";
import { toast } from "./toast.js";

const button = document.getElementById("notifications-button");
const badge = document.getElementById("notifications-count");
const panel = document.getElementById("notifications-panel");
const list = document.getElementById("notifications-list");
let items = [];
let openConversation = () => {};

function render() {
  const unread = items.filter((n) => !n.read_at);
  badge.hidden = unread.length === 0;
  badge.textContent = number(unread.length);
  button.setAttribute("aria-label", unread.length
    ? ngettext("Notifications, %(num)s unread", "Notifications, %(num)s unread", unread.length) : _("Notifications"));
  list.replaceChildren(...(items.length ? items.map((n) => el("li", { class: n.read_at ? "is-read" : "is-unread" },
    el("button", { type: "button", class: "link notif", dir: "auto", text: n.text, on: { click: () => pick(n) } }),
    " ", el("time", { class: "muted", datetime: n.created_at, title: fullTime(n.created_at), text: ago(n.created_at) }))) // "5 minutes ago"
    : [el("li", { class: "empty", text: _("No notifications.") })]));
}

async function markRead(ids) {
  if (!ids.length) return;
  try {
    await post("/notifications/read", { ids });
    const now = new Date().toISOString();
    for (const n of items) if (ids.includes(n.id)) n.read_at = n.read_at || now;
    render();
  } catch {
    // stays unread; harmless
  }
}

function pick(notification) {
  markRead([notification.id]);
  panel.hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (notification.conversation_id) openConversation(notification.conversation_id);
}

export async function load() {
  try {
    const body = await get("/notifications");
    items = body.items || [];
    render();
  } catch {
    // the inbox works without them
  }
}

export function arrived(notification) {
  if (!notification || items.some((n) => n.id === notification.id)) return;
  items.unshift(notification);
  render();
  toast(notification.text, { onClick: () => pick(notification) });
}

export function init(open) {
  openConversation = open;
  button.addEventListener("click", () => {
    if (panel.hidden) render(); // "5 minutes ago" as of now
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
  });
}

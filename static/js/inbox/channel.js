// The channel marks: a private conversation (DM, Messenger) shows an envelope and says "Private" in words,
// so the mark never relies on the icon alone; a public conversation that moved says where it went.
import { pgettext } from "./i18n.js";
import { channelName } from "./names.js";
import { el } from "./text.js";

export const isPrivate = (conv) => conv?.channel === "private";

/** The channel as a badge: icon (hidden from screen readers) and its name as text. */
export function channelBadge(conv, { always = false } = {}) {
  const channel = conv?.channel || "public";
  if (channel !== "private" && !always) return null;
  return el("span", { class: `channel channel-${channel}` },
    el("span", { class: "channel-icon", "aria-hidden": "true", text: channel === "private" ? "✉" : "#" }),
    el("span", { class: "channel-name", text: channelName(channel) }));
}

/** In the list: a public conversation continued in private ("moved to DM"). */
export function movedBadge(conv) {
  if (!conv?.moved_to_id || isPrivate(conv)) return null;
  return el("span", { class: "channel channel-moved", text: pgettext("list badge", "moved to DM") });
}

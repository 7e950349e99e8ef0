// The channel marks: a private conversation (DM, Messenger) shows an envelope and says "Private" in words,
// so the mark never relies on the icon alone; a public conversation that moved says where it went.
import { pgettext } from "./i18n.js";
import { channelName, networkName } from "./names.js";
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

// A mark per network beside its name (the name is what says it: the mark and its colour only help the eye).
const NETWORK_MARKS = { twitter: "𝕏", facebook: "f", instagram: "◎", custom: "⚙" };

/** The network as a badge: its mark (hidden from screen readers) and its name as text; `title`: the account. */
export function networkBadge(network, { title } = {}) {
  return el("span", { class: `network network-${network}`, title: title || undefined },
    el("span", { class: "network-icon", "aria-hidden": "true", text: NETWORK_MARKS[network] || "•" }),
    el("span", { class: "network-name", text: networkName(network) }));
}

/** In the list: a public conversation continued in private ("moved to DM"). */
export function movedBadge(conv) {
  if (!conv?.moved_to_id || isPrivate(conv)) return null;
  return el("span", { class: "channel channel-moved", text: pgettext("list badge", "moved to DM") });
}

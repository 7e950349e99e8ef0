// Bulk moderation on the network, from the list's bulk bar: "Hide on network" hides every visible customer
// comment of the ticked conversations (a spam wave), "Like" likes each one's latest customer message. The
// messages come from each conversation's detail; POST /messages/moderation takes up to 100 at a time and
// answers per message, so what the network refused is listed with its reason, and the rest is done.
import { announce } from "./announce.js";
import { get, post } from "./api.js";
import { _, ngettext, number } from "./i18n.js";
import * as listview from "./listview.js";
import { explain, offered } from "./moderation.js";
import { moderationRefusal } from "./modnames.js";
import { emit, state } from "./store.js";
import { contactName, isolated } from "./text.js";

const bar = document.getElementById("bulk-bar");
const result = document.getElementById("bulk-result");
const BATCH = 100; // the endpoint's bound
const READERS = 4; // conversation details read at a time

/** The messages of `detail` that `action` applies to (the network offers it, it is not done already). */
function targets(action, detail) {
  const messages = (detail.messages || []).filter((m) => offered(m, detail).has(action));
  if (action === "hide") return messages.filter((m) => m.moderation === "visible");
  const latest = messages[messages.length - 1];
  return latest && !latest.liked ? [latest] : [];
}

async function details(ids) {
  const found = [];
  const queue = [...ids];
  async function reader() {
    while (queue.length) {
      const id = queue.shift();
      found.push(await get(`/conversations/${id}`).catch(() => null));
    }
  }
  await Promise.all(Array.from({ length: Math.min(READERS, ids.length) }, reader));
  return found.filter(Boolean);
}

/** "Pat (#12): Facebook does not allow hiding this comment…": whose message, and why the network refused. */
function failureText(item, about) {
  const { network, who } = about.get(item.id) || {};
  const said = typeof item.error === "object" && item.error ? item.error.message : null; // a refusal that is not the network's
  const reason = (item.reason && moderationRefusal(item.reason, network)) || said || item.reason || _("refused");
  return _("%(who)s (#%(id)s): %(reason)s", { who: isolated(who || ""), id: number(item.id, { useGrouping: false }), reason });
}

export async function run(action) {
  const ids = [...state.checked];
  if (!ids.length) return;
  result.textContent = "";
  const conversations = await details(ids);
  const about = new Map(); // message id -> {network, who}
  const messageIds = [];
  for (const detail of conversations) {
    for (const message of targets(action, detail)) {
      about.set(message.id, { network: detail.network, who: contactName(message.author?.handle || message.author?.name ? message.author : detail.contact) });
      messageIds.push(message.id);
    }
  }
  if (!messageIds.length) {
    result.textContent = action === "hide" ? _("Nothing to hide: no visible customer comment the network lets Carebox hide.")
      : _("Nothing to like: no customer message the network lets Carebox like, or all are liked already.");
    return;
  }
  const failures = [];
  let done = 0;
  for (let start = 0; start < messageIds.length; start += BATCH) {
    const batch = messageIds.slice(start, start + BATCH);
    let body;
    try {
      body = await post("/messages/moderation", { action, message_ids: batch });
    } catch (exc) {
      result.textContent = explain(exc, about.get(batch[0])?.network);
      return;
    }
    for (const item of body.results || []) {
      if (item.ok) {
        done += 1;
        if (item.message) emit("message", { message: item.message, seen: true });
      } else {
        failures.push(failureText(item, about));
      }
    }
  }
  result.textContent = failures.length
    ? ngettext("%(num)s not done: %(reasons)s", "%(num)s not done: %(reasons)s", failures.length, { reasons: failures.join("; ") })
    : "";
  if (done > 0) {
    announce(action === "hide" ? ngettext("%(num)s message hidden on the network.", "%(num)s messages hidden on the network.", done)
      : ngettext("%(num)s message liked on the network.", "%(num)s messages liked on the network.", done));
  }
  if (!failures.length) {
    state.checked.clear();
    listview.showChecked();
    emit("checked:changed");
  }
}

export function init() {
  bar.addEventListener("click", (event) => {
    const action = event.target.closest("[data-bulk-moderation]")?.dataset.bulkModeration;
    if (action) run(action);
  });
}

// What an agent does to conversations. Each call returns the updated conversation and announces it
// on the bus ("conversation"), exactly as a live event would, so every view updates the same way.
import { announce } from "./announce.js";
import { patch, post } from "./api.js";
import { _ } from "./i18n.js";
import { emit, state } from "./store.js";
import { toastError } from "./toast.js";

async function run(what, call) {
  try {
    const conv = await call();
    if (conv && conv.id) emit("conversation", conv);
    return conv;
  } catch (exc) {
    toastError(exc, what);
    return null;
  }
}

export const update = (id, changes, what = _("Could not update the conversation")) =>
  run(what, () => patch(`/conversations/${id}`, changes));

export const claim = (id) => run(_("Could not assign it to you"), () => post(`/conversations/${id}/claim`));

/** Resolving takes the row out of the open list: said too, for those who do not see it go. */
export async function resolve(id) {
  const conv = await update(id, { status: "resolved" }, _("Could not resolve it"));
  if (conv) announce(_("Conversation resolved."));
  return conv;
}

export const assign = (id, userId) => update(id, { assignee_id: userId }, _("Could not assign it"));

function known(id) {
  return state.detail && state.detail.id === id ? state.detail : state.conversations.get(id);
}

export function addTag(id, tag) {
  const conv = known(id);
  const tags = [...new Set([...(conv?.tags || []), tag])];
  return update(id, { tags }, _("Could not tag it"));
}

export function removeTag(id, tag) {
  const conv = known(id);
  return update(id, { tags: (conv?.tags || []).filter((t) => t !== tag) }, _("Could not remove the tag"));
}

// What an agent does to conversations. Each call returns the updated conversation and announces it
// on the bus ("conversation"), exactly as a live event would, so every view updates the same way.
import { patch, post } from "./api.js";
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

export const update = (id, changes, what = "Could not update the conversation") =>
  run(what, () => patch(`/conversations/${id}`, changes));

export const claim = (id) => run("Could not assign it to you", () => post(`/conversations/${id}/claim`));

export const resolve = (id) => update(id, { status: "resolved" }, "Could not resolve it");

export const assign = (id, userId) => update(id, { assignee_id: userId }, "Could not assign it");

function known(id) {
  return state.detail && state.detail.id === id ? state.detail : state.conversations.get(id);
}

export function addTag(id, tag) {
  const conv = known(id);
  const tags = [...new Set([...(conv?.tags || []), tag])];
  return update(id, { tags }, "Could not tag it");
}

export function removeTag(id, tag) {
  const conv = known(id);
  return update(id, { tags: (conv?.tags || []).filter((t) => t !== tag) }, "Could not remove the tag");
}

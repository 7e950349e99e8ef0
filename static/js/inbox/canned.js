// Canned responses: loaded once, filled with the conversation's variables when inserted.
import { get } from "./api.js";
import { state } from "./store.js";

const VARIABLE = /\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}/gu;

export async function load() {
  try {
    const body = await get("/canned-responses");
    state.canned = body.items || [];
  } catch {
    state.canned = []; // the composer still works without them
  }
  return state.canned;
}

/** {{contact.name}}, {{contact.handle}}, {{agent.name}} → values; unknown variables stay as written. */
export function fill(text, { contact, agent }) {
  const values = {
    "contact.name": (contact && (contact.name || contact.handle)) || "",
    "contact.handle": (contact && contact.handle) || "",
    "agent.name": (agent && agent.name) || "",
  };
  return text.replace(VARIABLE, (whole, key) => (key in values ? values[key] : whole));
}

/** Canned responses whose shortcut starts with `prefix` (then those whose title contains it). */
export function find(prefix) {
  const needle = prefix.toLocaleLowerCase();
  const byShortcut = state.canned.filter((c) => c.shortcut.toLocaleLowerCase().startsWith(needle));
  const byTitle = state.canned.filter((c) => !byShortcut.includes(c) && c.title.toLocaleLowerCase().includes(needle));
  return [...byShortcut, ...byTitle];
}

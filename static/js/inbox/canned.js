// Canned responses: loaded once, filled with the conversation's variables when inserted.
// Each may be written in one language (`language`: "en", "ru", "be", "ar" or null for any). When the open
// conversation's language is known (conversation.language), the responses in that language come first:
// GET /canned-responses?language=xx answers them in that order (fetched once per language), and the
// list is ordered the same way here too, so the order holds even before (or without) that answer.
import { get } from "./api.js";
import { state } from "./store.js";

const VARIABLE = /\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}/gu;
const byLanguage = new Map(); // language -> Promise of the server's list for it
let language = null; // the open conversation's, when known
let ordered = null; // the list for `language`, once the server answered

export async function load() {
  try {
    const body = await get("/canned-responses");
    state.canned = body.items || [];
  } catch {
    state.canned = []; // the composer still works without them
  }
  return state.canned;
}

function fetchFor(lang) {
  if (!byLanguage.has(lang)) {
    byLanguage.set(lang, get("/canned-responses", { language: lang })
      .then((body) => body.items || [])
      .catch(() => null)); // fall back on the list loaded first
  }
  return byLanguage.get(lang);
}

/**
 * The open conversation's language (null: unknown). Resolves once the list in that order is here;
 * `onChange` then redraws what shows the list.
 */
export async function useLanguage(lang) {
  const next = lang || null;
  if (next === language && (ordered || !next)) return false;
  language = next;
  ordered = null;
  if (!next) return true;
  const items = await fetchFor(next);
  if (language !== next) return false; // another conversation was opened meanwhile
  ordered = items;
  return true;
}

/** The canned responses to offer now: those in the conversation's language first, otherwise as loaded. */
export function current() {
  const items = ordered || state.canned;
  if (!language) return items;
  const matching = items.filter((c) => c.language === language);
  return matching.length ? [...matching, ...items.filter((c) => c.language !== language)] : items;
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

/** Canned responses whose shortcut starts with `prefix` (then those whose title contains it), the conversation's language first. */
export function find(prefix) {
  const needle = prefix.toLocaleLowerCase();
  const items = current();
  const byShortcut = items.filter((c) => c.shortcut.toLocaleLowerCase().startsWith(needle));
  const byTitle = items.filter((c) => !byShortcut.includes(c) && c.title.toLocaleLowerCase().includes(needle));
  return [...byShortcut, ...byTitle];
}

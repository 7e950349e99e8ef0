// The list's order and filters, exactly as the API applies them (app/conversations/queries.py), so
// live events land in the right place without asking the server.
import { parseTime } from "./format.js";

const NEVER = -Infinity;

function activity(conv) {
  return parseTime(conv.last_message_at) ?? parseTime(conv.created_at) ?? NEVER;
}

function byActivity(a, b, newestFirst) {
  const d = activity(a) - activity(b);
  if (d !== 0) return newestFirst ? -d : d;
  return newestFirst ? b.id - a.id : a.id - b.id;
}

// Priority tiers, most pressing first: the "sla" sort's first key (queries.py TIERS).
const TIERS = ["urgent", "high", "normal", "low"];

function tier(conv) {
  const index = TIERS.indexOf(conv.priority);
  return index < 0 ? TIERS.indexOf("normal") : index;
}

/**
 * Negative when `a` comes before `b` under `sort` ("sla": by priority tier, then running clocks by
 * breach time, then newest).
 */
export function compare(a, b, sort = "sla") {
  if (sort === "newest") return byActivity(a, b, true);
  if (sort === "oldest") return byActivity(a, b, false);
  const byTier = tier(a) - tier(b);
  if (byTier !== 0) return byTier;
  const ba = parseTime(a.sla && a.sla.breach_at);
  const bb = parseTime(b.sla && b.sla.breach_at);
  if (ba !== null && bb !== null) return ba - bb || a.id - b.id;
  if (ba !== null) return -1;
  if (bb !== null) return 1;
  return byActivity(a, b, true);
}

const LEVELS = ["ok", "warning", "breached"];

/** The SLA state now, from the clock's due times (app/sla/state.py's clock_view in JavaScript). */
export function slaStateNow(sla, now = Date.now()) {
  if (!sla || sla.state === "stopped") return "stopped";
  const warn = parseTime(sla.warn_at);
  const breach = parseTime(sla.breach_at);
  if (breach === null) return sla.state || "stopped";
  const byTime = now >= breach ? "breached" : warn !== null && now >= warn ? "warning" : "ok";
  if (sla.state === "paused" && byTime !== "breached") return "paused"; // outside business hours
  const flagged = LEVELS.includes(sla.level) ? sla.level : "ok"; // a flagged level never goes back
  return LEVELS[Math.max(LEVELS.indexOf(byTime), LEVELS.indexOf(flagged))];
}

/** The state the API's `sla` filter uses: by due times alone (app/conversations/queries.py). */
function filterState(sla, now = Date.now()) {
  const warn = parseTime(sla && sla.warn_at);
  const breach = parseTime(sla && sla.breach_at);
  if (!sla || !sla.started_at || breach === null) return "stopped";
  return now >= breach ? "breached" : warn !== null && now >= warn ? "warning" : "ok";
}

/**
 * Whether `conv` belongs in the list under `filters`. Returns null when only the server can tell
 * (a text search that may match a message body we do not have).
 */
export function matches(conv, filters, me) {
  if (filters.status && conv.status !== filters.status) return false;
  const assignee = filters.assignee;
  if (assignee === "me" && conv.assignee_id !== me.id) return false;
  if (assignee === "none" && conv.assignee_id !== null) return false;
  if (/^\d+$/.test(assignee || "") && conv.assignee_id !== Number(assignee)) return false;
  if (filters.channel && (conv.channel || "public") !== filters.channel) return false;
  if (filters.network && conv.network !== filters.network) return false;
  if (filters.account && conv.account_id !== Number(filters.account)) return false;
  if (filters.tag && !(conv.tags || []).includes(filters.tag)) return false;
  if (filters.team && String(conv.team_id ?? "none") !== filters.team) return false;
  // An agent sees unrouted conversations and their teams' (app/teams); one that moved away leaves.
  if (me.role === "agent" && conv.team_id != null && !(me.teams || []).includes(conv.team_id)) return false;
  if (filters.sla && filterState(conv.sla) !== filters.sla) return false;
  const q = (filters.q || "").trim().toLocaleLowerCase();
  if (q) {
    const haystack = [conv.contact?.name, conv.contact?.handle, conv.snippet].join("\n").toLocaleLowerCase();
    return haystack.includes(q) ? true : null;
  }
  return true;
}

/** Index at which `conv` goes in `ids` (sorted), by binary search. */
export function insertionIndex(ids, byId, conv, sort) {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(byId.get(ids[mid]), conv, sort) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

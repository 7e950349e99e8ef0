// The page's state and a tiny event bus. Modules read `state`, change it through the functions
// here, and re-render on the events they subscribe to.
export const state = {
  me: null, // {id, name, role, is_available}
  team: new Map(), // id -> {id, name, role, is_available}
  accounts: new Map(), // id -> {id, name, network, handle}
  canned: [], // [{id, title, shortcut, text}]
  filters: { status: "open", assignee: "all", sla: "", channel: "", network: "", account: "", q: "", sort: "sla" },
  conversations: new Map(), // id -> conversation summary, for the loaded window of the list
  order: [], // ids of the loaded window, in list order
  nextCursor: null, // more rows after the window (null: the window is everything)
  counts: null,
  cursorId: null, // the keyboard cursor in the list
  checked: new Set(), // bulk selection
  openId: null, // the conversation shown on the right
  detail: null, // its detail (messages, account, history, related, reply_limit, reply_window, can_move_to_private)
  presence: new Map(), // conversation id -> {viewers, typers}
  replyToId: null, // the message the composer answers (null: the latest customer message)
  titleSuffix: null, // the page title after the open-count, e.g. "Maria · Inbox · Carebox"
  connected: false,
  moderated: new Map(), // conversation id -> {id, moderation}: the last customer message seen hidden or deleted
  teams: null, // id -> team name, once GET /teams answered (null: not asked yet, or not offered)
};

const listeners = new Map();

export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
}

export function emit(type, payload) {
  for (const fn of listeners.get(type) || []) {
    try {
      fn(payload);
    } catch (exc) {
      console.error(`listener of ${type} failed`, exc); // one broken view must not stop the others
    }
  }
}

export function memberName(userId) {
  if (userId === null || userId === undefined) return null;
  if (state.me && userId === state.me.id) return state.me.name;
  return state.team.get(userId)?.name || `#${userId}`;
}

// Counts per filter (status, assignee, SLA, channel), each with the other filters applied (GET /conversations/counts).
// Live events only schedule a refresh: one small request per burst, never a list reload.
import { get } from "./api.js";
import { _, number } from "./i18n.js";
import { listQuery } from "./list.js";
import { state } from "./store.js";

const BATCH_MS = 400; // events within this window share one request
const PERIOD_MS = 30000; // clocks cross warning/breach with time alone
let timer = null;
let generation = 0;

function render() {
  for (const node of document.querySelectorAll("[data-count]")) {
    const [dimension, key] = node.dataset.count.split(".");
    const value = state.counts?.[dimension]?.[key];
    node.textContent = value === undefined || value === null ? "" : number(value);
  }
  const open = state.counts?.status?.open;
  const title = state.titleSuffix || _("Inbox · Carebox");
  // "(3) Inbox · Carebox": the number of open conversations first, as mail clients do.
  document.title = open ? _("(%(count)s) %(title)s", { count: number(open), title }) : title;
}

export async function refresh() {
  const mine = ++generation;
  const { sort, ...filters } = listQuery(); // eslint-disable-line no-unused-vars
  try {
    const counts = await get("/conversations/counts", filters);
    if (mine === generation) {
      state.counts = counts;
      render();
    }
  } catch {
    // Counts are a convenience: the list itself shows load errors.
  }
}

export function refreshSoon() {
  if (timer !== null) return; // the pending request will see this change too
  timer = window.setTimeout(() => {
    timer = null;
    refresh();
  }, BATCH_MS);
}

export function renderTitle() {
  render();
}

export function startPeriodic() {
  window.setInterval(refreshSoon, PERIOD_MS);
}

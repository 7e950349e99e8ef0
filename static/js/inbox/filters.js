// The filter column and the search box. Filters live in the URL (?status=open&q=…) so a reload keeps them.
import { listScope } from "./api.js";
import * as counts from "./counts.js";
import * as list from "./list.js";
import { state } from "./store.js";

const SEARCH_DEBOUNCE_MS = 250;
const search = document.getElementById("search");
if (!("team" in state.filters)) state.filters.team = ""; // a team id, "none" (unrouted) or "" (all I see)
const FILTER_KEYS = Object.keys(state.filters);
const DEFAULTS = { ...state.filters };

function readUrl() {
  const params = new URLSearchParams(window.location.search);
  for (const key of FILTER_KEYS) if (params.has(key)) state.filters[key] = params.get(key);
  listScope.team = state.filters.team;
}

function writeUrl() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (state.filters[key] !== DEFAULTS[key]) params.set(key, state.filters[key]);
  const query = params.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}${window.location.hash}`);
}

function showFilters() {
  for (const group of document.querySelectorAll(".ib-seg[data-filter]")) {
    for (const button of group.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.value === state.filters[group.dataset.filter]));
    }
  }
  for (const select of document.querySelectorAll("select[data-filter]")) select.value = state.filters[select.dataset.filter];
  if (document.activeElement !== search) search.value = state.filters.q;
}

export function setFilter(key, value) {
  if (state.filters[key] === value) return;
  state.filters[key] = value;
  listScope.team = state.filters.team;
  showFilters();
  writeUrl();
  list.reload();
  counts.refresh();
}

export function focusSearch() {
  search.focus();
  search.select();
}

export function fillAccounts() {
  const select = document.getElementById("f-account");
  const options = [...state.accounts.values()].map((a) => {
    const option = document.createElement("option");
    option.value = String(a.id);
    option.textContent = a.name;
    return option;
  });
  select.replaceChildren(select.options[0], ...options);
  select.value = state.filters.account;
}

export function init() {
  const teams = document.getElementById("inbox").dataset.userTeams || "";
  state.me.teams = teams.split(",").filter(Boolean).map(Number); // ordering.js: what an agent sees
  readUrl();
  showFilters();
  for (const group of document.querySelectorAll(".ib-seg[data-filter]")) {
    group.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button) setFilter(group.dataset.filter, button.dataset.value);
    });
  }
  for (const select of document.querySelectorAll("select[data-filter]")) {
    select.addEventListener("change", () => setFilter(select.dataset.filter, select.value));
  }
  let timer = null;
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => setFilter("q", search.value.trim()), SEARCH_DEBOUNCE_MS);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      window.clearTimeout(timer);
      setFilter("q", search.value.trim());
      document.getElementById("conversation-list").focus();
    } else if (event.key === "Escape") {
      search.blur();
    }
  });
}

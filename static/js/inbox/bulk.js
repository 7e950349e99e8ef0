// Bulk actions on the checked conversations: assign, unassign, tag, resolve, mark as spam.
import { announce } from "./announce.js";
import { post } from "./api.js";
import { _, ngettext, number } from "./i18n.js";
import * as listview from "./listview.js";
import { on, state } from "./store.js";
import { el } from "./text.js";

const bar = document.getElementById("bulk-bar");
const countLabel = document.getElementById("bulk-count");
const assignee = document.getElementById("bulk-assignee");
const tagInput = document.getElementById("bulk-tag");
const result = document.getElementById("bulk-result");

function show() {
  bar.hidden = state.checked.size === 0;
  countLabel.textContent = ngettext("%(num)s selected", "%(num)s selected", state.checked.size);
}

async function run(action, value) {
  const ids = [...state.checked];
  if (!ids.length) return;
  result.textContent = "";
  try {
    const body = await post("/conversations/bulk", value === undefined ? { ids, action } : { ids, action, value });
    const errors = body.errors || [];
    const reasons = errors.map((e) => _("#%(id)s: %(reason)s", { id: number(e.id, { useGrouping: false }), reason: e.message }));
    result.textContent = errors.length
      ? ngettext("%(num)s not changed: %(reasons)s", "%(num)s not changed: %(reasons)s", errors.length, { reasons: reasons.join("; ") })
      : "";
    const changed = ids.length - errors.length;
    if (changed > 0) announce(ngettext("%(num)s conversation changed.", "%(num)s conversations changed.", changed));
    state.checked.clear();
    listview.showChecked();
    show();
  } catch (exc) {
    result.textContent = exc.message;
  }
}

export function fillAssignees() {
  const members = [...state.team.values()];
  assignee.replaceChildren(assignee.options[0], ...members.map((u) => el("option", { value: String(u.id), text: u.name })));
}

export function init() {
  on("checked:changed", show);
  document.getElementById("conversation-list").addEventListener("checked-change", show);
  on("list:loaded", show);
  assignee.addEventListener("change", () => {
    if (assignee.value) run("assign", Number(assignee.value));
    assignee.value = "";
  });
  bar.addEventListener("click", (event) => {
    const action = event.target.closest("[data-bulk]")?.dataset.bulk;
    if (!action) return;
    if (action === "clear") {
      state.checked.clear();
      listview.showChecked();
      show();
    } else if (action === "tag") {
      if (tagInput.value.trim()) run("tag", tagInput.value.trim());
      tagInput.value = "";
    } else {
      run(action);
    }
  });
}

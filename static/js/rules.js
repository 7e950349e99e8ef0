// The managers' rules page: the ordered list (switch, summary, hits, reorder, delete), the editor and the
// dry run, all through /api/v1/rules with the session (writes carry the X-CSRFToken header).
// The list is read again on load, after every change, when the tab comes back into view and every half
// minute while it is in view, so hit counts stay current. Customer text and names reach the page through
// textContent only (S.el), with dir="auto" so each runs in its own direction.
(function () {
  "use strict";
  const I18n = window.CareboxI18n;
  const S = window.CareboxSla;
  const W = window.CareboxRuleWords;
  const E = window.CareboxRuleEditor;
  const { _, ngettext } = I18n;
  const el = S.el;
  const { api, items } = window.CareboxRulesApi;

  const page = document.getElementById("rules-page");
  const listBody = document.getElementById("rules-list");
  const status = document.getElementById("rules-status");
  const form = document.getElementById("rule-form");
  const nameInput = document.getElementById("rule-name");
  const stopBox = document.getElementById("rule-stop");
  const conditions = document.getElementById("conditions");
  const actions = document.getElementById("actions");
  const addCondition = document.getElementById("add-condition");
  const addAction = document.getElementById("add-action");
  const editorTitle = document.getElementById("editor-title");
  const banner = document.getElementById("form-error");
  const results = document.getElementById("dry-run-results");
  const lookups = { accounts: new Map(), users: new Map(), teams: null, policies: new Map(), canned: new Map() };
  let rules = [];
  let editing = null;  // the id of the rule in the editor, null for a new one
  let shown = null;  // the list as last drawn
  const REFRESH_MS = 30000;  // hit counts move with traffic: read again while the page is in view

  const ruleOf = (data) => (data && data.rule) || data;

  function say(text) {
    status.textContent = text;
  }

  function fail(err) {
    say(err.message);
  }

  // Pickers from the APIs the other pages use; without a teams API the team pickers stay hidden.
  async function loadPickers() {
    const [accounts, team, canned, policies, teams] = await Promise.all([
      api("GET", "/accounts"), api("GET", "/team"), api("GET", "/canned-responses"), api("GET", "/sla/policies"),
      api("GET", "/teams").catch(() => null),
    ]);
    const fill = (kind, rows, label) => {
      lookups[kind] = new Map(rows.map((r) => [r.id, label(r)]));
      E.pickers[kind] = rows.map((r) => [r.id, label(r)]);
    };
    fill("accounts", items(accounts), (a) => _("%(name)s (%(network)s)", { name: a.name, network: S.networkName(a.network) }));
    fill("users", items(team), (u) => u.name);
    fill("canned", items(canned), (c) => "/" + c.shortcut + " · " + c.title);
    fill("policies", items(policies), (p) => p.name);
    if (teams) fill("teams", items(teams), (t) => t.name);
    else { lookups.teams = null; E.pickers.teams = null; }
    fillAddSelect(addCondition, W.CONDITIONS, []);
    fillAddSelect(addAction, W.ACTIONS, teams ? [] : ["assign_team"]);
  }

  function fillAddSelect(select, names, without) {
    select.replaceChildren();
    for (const [type, label] of Object.entries(names)) {
      if (without.includes(type)) continue;
      const option = el("option", "", label);
      option.value = type;
      select.append(option);
    }
  }

  function button(text, cls, onClick, describedBy) {
    const b = el("button", cls, text);
    b.type = "button";
    b.dataset.tool = cls.split(" ").pop();
    if (describedBy) b.setAttribute("aria-describedby", describedBy);
    b.addEventListener("click", onClick);
    return b;
  }

  function row(rule, index) {
    const tr = document.createElement("tr");
    tr.dataset.ruleId = String(rule.id);
    const nameId = "rule-name-" + rule.id;
    const name = el("td", "rule-name");
    const label = el("span", "", rule.name);
    label.id = nameId;
    label.dir = "auto";
    name.append(label);

    const on = el("td", "rule-on");
    const toggle = document.createElement("input");
    toggle.type = "checkbox";
    toggle.setAttribute("role", "switch");
    toggle.dataset.tool = "switch";
    toggle.checked = Boolean(rule.enabled);
    toggle.setAttribute("aria-label", _("Switched on: %(name)s", { name: S.plain(rule.name) }));
    toggle.addEventListener("change", () => change(api("PATCH", "/rules/" + rule.id, { enabled: toggle.checked }),
      toggle.checked ? _("“%(name)s” is switched on.", { name: rule.name }) : _("“%(name)s” is switched off.", { name: rule.name }), toggle));
    on.append(toggle);

    const words = W.summary(rule, lookups);
    const summary = el("td", "rule-summary");
    summary.append(el("span", "when", words.when), " ", el("span", "then", words.then));
    if (rule.stop) summary.append(" ", el("span", "pill", _("stops here")));

    const last = el("td", "rule-last-hit", rule.last_hit_at ? I18n.dateTime(rule.last_hit_at) : _("never"));
    const tools = el("td", "rule-tools");
    const up = button(_("Move up"), "move-up", () => move(index, -1, "move-up"), nameId);
    const down = button(_("Move down"), "move-down", () => move(index, 1, "move-down"), nameId);
    up.disabled = index === 0;
    down.disabled = index === rules.length - 1;
    tools.append(up, down,
      button(_("Edit"), "link edit", () => edit(rule), nameId),
      button(_("Dry run"), "link dry-run", () => dryRun("/rules/" + rule.id + "/dry-run", undefined, rule.name), nameId),
      button(_("Delete"), "link danger delete", () => remove(rule), nameId));
    tr.append(el("td", "num", I18n.number(index + 1)), name, on, summary,
      el("td", "num rule-hits", I18n.number(rule.hit_count || 0)), last, tools);
    return tr;
  }

  function render() {
    if (!rules.length) {
      const td = el("td", "empty", _("No rules yet."));
      td.colSpan = 7;
      const tr = document.createElement("tr");
      tr.append(td);
      listBody.replaceChildren(tr);
    } else {
      listBody.replaceChildren(...rules.map(row));
    }
  }

  // Drawn again only when something changed, the keyboard kept on the same control of the same rule.
  async function refresh() {
    const fresh = items(await api("GET", "/rules"));
    const drawn = JSON.stringify(fresh);
    if (drawn !== shown) {
      const focused = listBody.contains(document.activeElement) && document.activeElement.dataset.tool
        ? [document.activeElement.closest("tr").dataset.ruleId, document.activeElement.dataset.tool] : null;
      rules = fresh;
      shown = drawn;
      render();
      const again = focused && listBody.querySelector(`tr[data-rule-id="${focused[0]}"] [data-tool="${focused[1]}"]`);
      if (again && !again.disabled) again.focus();
    }
    page.dataset.loaded = String(Date.now());
  }

  // A change, then the list read again; `focus` (a control of the list) keeps the keyboard where it was.
  async function change(promise, done, focus) {
    try {
      await promise;
      say(done);
    } catch (err) {
      fail(err);
    }
    const keep = focus && focus.closest("tr") && [focus.closest("tr").dataset.ruleId, focus.dataset.tool];
    await refresh().catch(fail);
    if (keep) {
      const again = listBody.querySelector(`tr[data-rule-id="${keep[0]}"] [data-tool="${keep[1]}"]`);
      if (again && !again.disabled) again.focus();
      else if (again) again.closest("tr").querySelector("button:not([disabled])").focus();
    }
  }

  function move(index, step, cls) {
    const ids = rules.map((r) => r.id);
    const [id] = ids.splice(index, 1);
    ids.splice(index + step, 0, id);
    const rule = rules[index];
    const moved = listBody.querySelector(`tr[data-rule-id="${rule.id}"] [data-tool="${cls}"]`);
    change(api("POST", "/rules/order", { ids: ids }),
      _("“%(name)s” is now number %(position)s.", { name: rule.name, position: I18n.number(index + step + 1) }), moved);
  }

  function remove(rule) {
    if (!window.confirm(_("Delete the rule “%(name)s”? Its hit count goes with it.", { name: S.plain(rule.name) }))) return;
    if (editing === rule.id) clear();
    change(api("DELETE", "/rules/" + rule.id), _("Deleted “%(name)s”.", { name: rule.name }))
      .then(() => document.getElementById("new-rule").focus());
  }

  function load(rule) {
    nameInput.value = rule.name || "";
    stopBox.checked = Boolean(rule.stop);
    conditions.replaceChildren(...(rule.conditions || []).map((c) => E.item("conditions", c)));
    actions.replaceChildren(...(rule.actions || []).map((a) => E.item("actions", a)));
    E.clearErrors(form);
    banner.hidden = true;
  }

  function edit(rule) {
    editing = rule.id;
    load(rule);
    editorTitle.textContent = _("Edit “%(name)s”", { name: rule.name });
    editorTitle.focus();
  }

  function clear() {
    editing = null;
    load({});
    editorTitle.textContent = _("New rule");
  }

  function definition() {
    return { conditions: E.readAll(conditions, "conditions"), actions: E.readAll(actions, "actions") };
  }

  // Missing values are said before anything is sent; the API's own refusals land beside their fields too.
  function refusedHere(named) {
    const found = E.problems(form, named);
    if (found.length) E.showErrors(form, { details: found }, banner);
    return found.length > 0;
  }

  async function save(event) {
    event.preventDefault();
    if (refusedHere(true)) return;
    const body = Object.assign({ name: nameInput.value.trim(), stop: stopBox.checked }, definition());
    try {
      const saved = ruleOf(await api(editing ? "PATCH" : "POST", editing ? "/rules/" + editing : "/rules", body));
      E.clearErrors(form);
      banner.hidden = true;
      editing = saved.id;
      editorTitle.textContent = _("Edit “%(name)s”", { name: saved.name });
      say(_("Saved “%(name)s”.", { name: saved.name }));
      await refresh();
    } catch (err) {
      if (err.status === 422 || err.status === 400 || err.status === 409) E.showErrors(form, err, banner);
      else fail(err);
    }
  }

  function messageRow(item) {
    const tr = document.createElement("tr");
    tr.dataset.messageId = String(item.message_id);
    const network = item.network ? S.networkName(item.network) : "";
    const text = el("td", "dry-text", item.text);
    text.dir = "auto";
    const did = el("td", "dry-actions");
    const ul = el("ul", "plain");
    for (const a of item.actions || []) ul.append(el("li", "", W.action(a, lookups)));
    did.append(ul);
    tr.append(el("td", "dry-time", I18n.dateTime(item.created_at)), el("td", "dry-network", network), text, did);
    return tr;
  }

  // The network of each matched message: from the item when the API gives it, else from its conversation.
  async function networksOf(list) {
    const missing = [...new Set(list.filter((i) => !i.network).map((i) => i.conversation_id))].slice(0, 100);
    const found = await Promise.all(missing.map((id) => api("GET", "/conversations/" + id).catch(() => null)));
    const networks = new Map();
    found.forEach((c, k) => { if (c) networks.set(missing[k], (c.conversation || c).network); });
    for (const item of list) if (!item.network) item.network = networks.get(item.conversation_id);
  }

  async function dryRun(path, body, name) {
    say(_("Running the dry run…"));
    try {
      const run = await api("POST", path, body || {});
      const matched = items(run.items);
      await networksOf(matched);
      const tbody = results.querySelector("tbody");
      tbody.replaceChildren(...matched.map(messageRow));
      document.getElementById("dry-run-title").textContent = name
        ? _("Dry run of “%(name)s” (last 7 days)", { name: name }) : _("Dry run (last 7 days)");
      document.getElementById("dry-run-summary").textContent = [
        ngettext("%(num)s customer message of the last 7 days was read.",
          "%(num)s customer messages of the last 7 days were read.", run.scanned),
        ngettext("%(num)s would have matched.", "%(num)s would have matched.", run.matched),
        run.truncated ? _("Only the most recent ones are listed.") : "",
      ].join(" ").trim();
      results.hidden = false;
      results.dataset.done = String(Date.now());
      say("");
      document.getElementById("dry-run-title").focus();
    } catch (err) {
      if (!name && (err.status === 422 || err.status === 400)) { say(""); E.showErrors(form, err, banner); }
      else fail(err);
    }
  }

  function add(select, part, list) {
    const li = E.item(part, { type: select.value });
    list.append(li);
    const first = li.querySelector("input, select, textarea, button");
    if (first) first.focus();
  }

  function removeItem(event) {
    const remove = event.target.closest("button.remove");
    if (!remove) return;
    const list = remove.closest("ol");
    remove.closest("li").remove();
    const addButton = document.getElementById(list.id === "conditions" ? "add-condition-button" : "add-action-button");
    addButton.focus();
  }

  form.addEventListener("submit", save);
  form.addEventListener("click", removeItem);
  document.getElementById("add-condition-button").addEventListener("click", () => add(addCondition, "conditions", conditions));
  document.getElementById("add-action-button").addEventListener("click", () => add(addAction, "actions", actions));
  document.getElementById("dry-run").addEventListener("click", () => {
    if (!refusedHere(false)) dryRun("/rules/dry-run", definition());
  });
  document.getElementById("cancel-edit").addEventListener("click", () => { clear(); nameInput.focus(); });
  document.getElementById("new-rule").addEventListener("click", () => { clear(); nameInput.focus(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh().catch(fail); });
  window.setInterval(() => { if (!document.hidden) refresh().catch(() => {}); }, REFRESH_MS);

  loadPickers().then(refresh).then(() => { page.dataset.ready = "1"; }).catch(fail);
})();

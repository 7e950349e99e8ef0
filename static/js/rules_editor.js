// The rule editor's conditions and actions: window.CareboxRuleEditor.
// Each condition or action is an <li> holding a fieldset (its kind as the legend), its fields, a "not" box
// (conditions) and a Remove button; read() turns the items back into the API's {"type", …fields} dicts.
// Every field carries data-loc, the API's error location ("conditions.0.keywords"), so a refusal is shown
// next to the field it names (showErrors).
(function () {
  "use strict";
  const I18n = window.CareboxI18n;
  const S = window.CareboxSla;
  const W = window.CareboxRuleWords;
  const { _ } = I18n;
  const el = S.el;

  // Options of the pickers, filled from the APIs by rules.js: [[value, label]]. teams is null without a teams API.
  const pickers = { accounts: [], users: [], teams: null, policies: [], canned: [] };

  const named = (kind) => () => pickers[kind] || [];
  const values = (kind) => () => Object.keys(W.VALUES[kind]).map((v) => [v, W.valueName(kind, v)]);

  const CONDITION_FIELDS = {
    network: [{ key: "networks", kind: "checks", label: _("Networks"), options: () => W.NETWORKS.map((n) => [n, S.networkName(n)]) }],
    account: [{ key: "account_ids", kind: "checks", ints: true, label: _("Accounts"), options: named("accounts") }],
    channel: [{ key: "channel", kind: "select", label: _("Messages"),
                options: () => [["public", _("Public messages")], ["private", _("Private messages")]] }],
    keywords: [{ key: "keywords", kind: "list", label: _("Any of these words (separated by commas)") }],
    phrase: [{ key: "phrase", kind: "text", label: _("The phrase") }],
    regex: [{ key: "pattern", kind: "text", ltr: true, label: _("Regular expression (case does not matter)") }],
    language: [{ key: "languages", kind: "list", ltr: true, label: _("Language codes (separated by commas: en, ar, ru…)") }],
    followers: [{ key: "min", kind: "number", optional: true, label: _("At least (followers)") },
                { key: "max", kind: "number", optional: true, label: _("At most (followers)") }],
    vip: [{ key: "handles", kind: "lines", optional: true,
            label: _("VIP handles, one per line (customers tagged vip always count)") }],
    contact_tags: [{ key: "tags", kind: "list", label: _("Any of these contact tags (separated by commas)") }],
    sentiment: [{ key: "sentiments", kind: "checks", label: _("Sentiments"), options: values("sentiment") }],
    intent: [{ key: "intents", kind: "checks", label: _("Intents"), options: values("intent") }],
    business_hours: [{ key: "when", kind: "select", label: _("When"),
                       options: () => [["in", _("During business hours")], ["out", _("Outside business hours")]] }],
  };
  const ACTION_FIELDS = {
    tag: [{ key: "tags", kind: "list", label: _("Tags (separated by commas)") }],
    set_priority: [{ key: "priority", kind: "select", label: _("Priority"), options: values("priority") }],
    assign_team: [{ key: "team_id", kind: "select", ints: true, label: _("Team"), options: named("teams") }],
    assign_agent: [{ key: "user_id", kind: "select", ints: true, label: _("Agent"), options: named("users") }],
    apply_sla_policy: [{ key: "policy_id", kind: "select", ints: true, label: _("SLA policy"), options: named("policies") }],
    notify: [{ key: "user_ids", kind: "checks", ints: true, label: _("People"), options: named("users") },
             { key: "team_id", kind: "select", ints: true, optional: true, label: _("And a team"), options: named("teams"), teams: true }],
    auto_reply: [{ key: "canned_id", kind: "select", ints: true, label: _("Canned response"), options: named("canned") },
                 { key: "period_hours", kind: "number", min: 1, value: 24, label: _("At most once per customer in (hours)") }],
  };

  let serial = 0;

  function labelled(text, control) {
    const label = el("label", "field");
    label.append(text, control);
    return label;
  }

  function field(spec, value) {
    const options = spec.options ? spec.options() : [];
    let node;
    if (spec.kind === "checks") {
      node = el("fieldset", "checks");
      node.append(el("legend", "", spec.label));
      const chosen = new Set((value || []).map(String));
      if (!options.length) node.append(el("p", "hint", _("Nothing to choose from yet.")));
      for (const [v, text] of options) {
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = String(v);
        box.checked = chosen.has(String(v));
        const label = el("label", "check");
        label.append(box, " ", el("bdi", "", text));
        node.append(label);
      }
    } else {
      let control;
      if (spec.kind === "select") {
        control = document.createElement("select");
        if (spec.optional) {
          const none = el("option", "", _("None"));
          none.value = "";
          control.append(none);
        }
        for (const [v, text] of options) {
          const option = el("option", "", text);
          option.value = String(v);
          control.append(option);
        }
        if (value !== undefined && value !== null) control.value = String(value);
      } else if (spec.kind === "lines") {
        control = document.createElement("textarea");
        control.rows = 3;
        control.value = (value || []).join("\n");
      } else {
        control = document.createElement("input");
        control.type = spec.kind === "number" ? "number" : "text";
        if (spec.kind === "number") control.min = String(spec.min || 0);
        const shown = value === undefined ? spec.value : value;
        control.value = shown === undefined || shown === null ? "" : spec.kind === "list" ? shown.join(", ") : String(shown);
      }
      control.dir = spec.ltr ? "ltr" : "auto";
      node = labelled(spec.label, control);
    }
    node.dataset.key = spec.key;
    if (spec.teams && pickers.teams === null) node.hidden = true;
    return node;
  }

  function read(node, spec) {
    if (spec.kind === "checks") {
      const chosen = [...node.querySelectorAll("input:checked")].map((b) => b.value);
      return spec.ints ? chosen.map(Number) : chosen;
    }
    const control = node.querySelector("input, select, textarea");
    const raw = control.value.trim();
    if (spec.kind === "list") return raw.split(/[,،]/).map((s) => s.trim()).filter(Boolean);
    if (spec.kind === "lines") return raw.split("\n").map((s) => s.trim()).filter(Boolean);
    if (spec.kind === "number" || spec.ints) return raw === "" ? null : Number(raw);
    return raw;
  }

  // One condition or action: {type, …} into an <li>.
  function item(part, data) {
    const fields = (part === "conditions" ? CONDITION_FIELDS : ACTION_FIELDS)[data.type] || [];
    const names = part === "conditions" ? W.CONDITIONS : W.ACTIONS;
    const li = el("li", "rule-item");
    li.dataset.type = data.type;
    const box = el("fieldset", "rule-item-box");
    const legend = el("legend", "", names[data.type] || data.type);
    legend.id = "rule-item-" + (++serial);
    box.append(legend);
    if (data.type === "auto_reply") {
      const warning = el("p", "warning", _("Customers would rather hear from a person. An automatic first answer only acknowledges: a person still answers. Each customer gets it at most once in the period below, never on spam, and only where the network allows an answer."));
      warning.setAttribute("role", "note");
      box.append(warning);
    }
    for (const spec of fields) box.append(field(spec, data[spec.key]));
    if (part === "conditions") {
      const not = document.createElement("input");
      not.type = "checkbox";
      not.className = "negate";
      not.checked = Boolean(data.not);
      const label = el("label", "check negate-label");
      label.append(not, " ", _("not: the rule acts when this does not hold"));
      box.append(label);
    }
    const remove = el("button", "link danger remove", _("Remove"));
    remove.type = "button";
    remove.setAttribute("aria-describedby", legend.id);
    box.append(remove);
    li.append(box);
    return li;
  }

  function readAll(list, part) {
    const specs = part === "conditions" ? CONDITION_FIELDS : ACTION_FIELDS;
    return [...list.children].map((li) => {
      const out = { type: li.dataset.type };
      for (const spec of specs[out.type] || []) {
        const node = li.querySelector(`[data-key="${spec.key}"]`);
        const value = read(node, spec);
        if (spec.optional && (value === null || (Array.isArray(value) && !value.length))) continue;
        out[spec.key] = value;
      }
      const not = li.querySelector("input.negate");
      if (not && not.checked) out.not = true;
      return out;
    });
  }

  function empty(value) {
    return value === null || value === "" || (Array.isArray(value) && !value.length);
  }

  // What the API would refuse for want of a value, found before sending and said in the reader's words:
  // [{loc, message}] as the API's details. `named`: the rule is being saved, so it needs a name.
  function problems(form, named) {
    const found = [];
    if (named && !form.querySelector("#rule-name").value.trim()) found.push({ loc: ["name"], message: _("Give the rule a name.") });
    for (const part of ["conditions", "actions"]) {
      const specs = part === "conditions" ? CONDITION_FIELDS : ACTION_FIELDS;
      [...form.querySelector("#" + part).children].forEach((li, index) => {
        const loc = (key) => [part, String(index), key];
        for (const spec of specs[li.dataset.type] || []) {
          const node = li.querySelector(`[data-key="${spec.key}"]`);
          if (spec.optional || node.hidden || !empty(read(node, spec))) continue;
          const message = spec.kind === "checks" ? _("Choose at least one.")
            : spec.kind === "select" ? _("Choose one.") : _("Fill this in.");
          found.push({ loc: loc(spec.key), message: message });
        }
        if (li.dataset.type === "followers" && ["min", "max"].every((key) =>
          empty(read(li.querySelector(`[data-key="${key}"]`), { kind: "number" })))) {
          found.push({ loc: loc("min"), message: _("Give a minimum, a maximum or both.") });
        }
      });
    }
    if (!form.querySelector("#actions").children.length) found.push({ loc: ["actions"], message: _("Add at least one action.") });
    return found;
  }

  // The field an API error location names: "conditions.1.keywords" -> that item's keywords field.
  function target(form, loc) {
    const parts = (Array.isArray(loc) ? loc : String(loc).split(".")).map(String).filter((p) => p !== "body");
    if (!parts.length) return null;
    if (parts[0] === "conditions" || parts[0] === "actions") {
      const list = form.querySelector("#" + parts[0]);
      const li = parts.length > 1 ? list.children[Number(parts[1])] : null;
      if (!li) return list;
      // pydantic names the union's member ("conditions.0.followers.min"): skip it to reach the field.
      const key = parts[2] === li.dataset.type && parts[3] ? parts[3] : parts[2];
      return (key && key !== "type" && li.querySelector(`[data-key="${key}"]`)) || li.querySelector("legend");
    }
    return form.querySelector(`[data-loc="${parts[0]}"]`);
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error.from-api").forEach((n) => n.remove());
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  // Each error next to its field (the first gets the focus); the ones without a field in the form's banner.
  function showErrors(form, error, banner) {
    clearErrors(form);
    const details = error.details && error.details.length ? error.details : [{ loc: [], message: error.message }];
    let first = null;
    const loose = [];
    for (const d of details) {
      const where = target(form, d.loc || []);
      if (!where) { loose.push(d.message || error.message); continue; }
      const note = el("p", "field-error from-api", d.message || error.message);
      note.id = "rule-error-" + (++serial);
      note.setAttribute("role", "alert");
      where.after(note);
      const control = where.matches("input, select, textarea") ? where : where.querySelector("input, select, textarea");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", note.id);
      }
      first = first || control;
    }
    banner.hidden = !loose.length;
    banner.textContent = loose.join(" ");
    if (first) first.focus();
  }

  window.CareboxRuleEditor = {
    pickers: pickers, CONDITION_FIELDS: CONDITION_FIELDS, ACTION_FIELDS: ACTION_FIELDS,
    item: item, readAll: readAll, problems: problems, showErrors: showErrors, clearErrors: clearErrors,
  };
})();

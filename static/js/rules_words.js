// Rules in the reader's words: window.CareboxRuleWords. The names of condition and action kinds and of the
// domain's values, and a sentence for each condition and action (the list's summary, the dry run's
// "it would have"). The API's words (types, values) stay English; only what the page shows is translated.
// Everything here returns plain strings: callers put them in the page through textContent only.
(function () {
  "use strict";
  const I18n = window.CareboxI18n;
  const S = window.CareboxSla;
  const { _, ngettext, pgettext } = I18n;

  const CONDITIONS = {
    network: _("Network"), account: _("Account"), channel: _("Public or private"), keywords: _("Keywords"),
    phrase: _("Phrase"), regex: _("Regular expression"), language: _("Language"), has_link: _("Has a link"),
    only_emoji: _("Only emoji"), only_mention: _("Only a mention"), followers: _("Follower count"),
    vip: _("VIP customer"), contact_tags: _("Contact tags"), sentiment: _("Sentiment"), intent: _("Intent"),
    business_hours: _("Business hours"),
  };
  const ACTIONS = {
    tag: _("Tag"), set_priority: _("Set priority"), assign_team: _("Assign to a team"),
    assign_agent: _("Assign to an agent"), apply_sla_policy: _("Apply an SLA policy"),
    exclude_from_sla: _("Exclude from SLA"), hide: _("Hide on the network"), mark_spam: _("Mark as spam"),
    notify: _("Notify"), auto_reply: _("Automatic first answer"),
  };
  const VALUES = {
    priority: { low: pgettext("priority", "low"), normal: pgettext("priority", "normal"),
                high: pgettext("priority", "high"), urgent: pgettext("priority", "urgent") },
    sentiment: { negative: pgettext("sentiment", "negative"), neutral: pgettext("sentiment", "neutral"),
                 positive: pgettext("sentiment", "positive") },
    intent: { complaint: pgettext("intent", "complaint"), question: pgettext("intent", "question"),
              praise: pgettext("intent", "praise"), spam: pgettext("intent", "spam"), other: pgettext("intent", "other") },
  };
  const NETWORKS = ["twitter", "facebook", "instagram", "custom"];
  const PRIORITIES = Object.keys(VALUES.priority);

  function valueName(kind, value) {
    return (VALUES[kind] && VALUES[kind][value]) || value;
  }

  function list(values, type) {
    return new Intl.ListFormat(I18n.locale, { type: type || "disjunction" }).format(values.map(String));
  }

  function quoted(values) {
    return list(values.map((v) => _("“%(text)s”", { text: v })));
  }

  // lookups: {accounts, users, teams, policies, canned} as Maps from id to a name; an unknown id shows as #id.
  function named(map, id) {
    const name = map && map.get(id);
    return name === undefined ? "#" + id : name;
  }

  function followers(c) {
    const min = c.min === null || c.min === undefined ? null : I18n.number(c.min);
    const max = c.max === null || c.max === undefined ? null : I18n.number(c.max);
    if (min !== null && max !== null) return _("the customer has %(min)s to %(max)s followers", { min: min, max: max });
    if (min !== null) return _("the customer has at least %(min)s followers", { min: min });
    return _("the customer has at most %(max)s followers", { max: max });
  }

  // [positive sentence, negated sentence] of a condition.
  function conditionSentences(c, lookups) {
    switch (c.type) {
      case "network": {
        const v = { networks: list((c.networks || []).map(S.networkName)) };
        return [_("it came on %(networks)s", v), _("it did not come on %(networks)s", v)];
      }
      case "account": {
        const v = { accounts: list((c.account_ids || []).map((id) => named(lookups.accounts, id))) };
        return [_("it came to %(accounts)s", v), _("it did not come to %(accounts)s", v)];
      }
      case "channel":
        return c.channel === "private"
          ? [_("it is a private message"), _("it is not a private message")]
          : [_("it is a public message"), _("it is not a public message")];
      case "keywords": {
        const v = { words: quoted(c.keywords || []) };
        return [_("it has the word %(words)s", v), _("it has none of the words %(words)s", v)];
      }
      case "phrase": {
        const v = { phrase: _("“%(text)s”", { text: c.phrase || "" }) };
        return [_("it contains %(phrase)s", v), _("it does not contain %(phrase)s", v)];
      }
      case "regex": {
        const v = { pattern: c.pattern || "" };
        return [_("it matches the pattern %(pattern)s", v), _("it does not match the pattern %(pattern)s", v)];
      }
      case "language": {
        const v = { languages: list(c.languages || []) };
        return [_("it is written in %(languages)s", v), _("it is not written in %(languages)s", v)];
      }
      case "has_link": return [_("it has a link"), _("it has no link")];
      case "only_emoji": return [_("it is only emoji"), _("it is not only emoji")];
      case "only_mention": return [_("it is only a mention"), _("it is not only a mention")];
      case "followers": {
        const v = { condition: followers(c) };
        return [v.condition, _("not so: %(condition)s", v)];
      }
      case "vip": {
        const handles = c.handles || [];
        const v = { handles: list(handles) };
        return handles.length
          ? [_("the customer is a VIP (tagged vip, or %(handles)s)", v), _("the customer is not a VIP (tagged vip, or %(handles)s)", v)]
          : [_("the customer is a VIP (tagged vip)"), _("the customer is not a VIP (tagged vip)")];
      }
      case "contact_tags": {
        const v = { tags: quoted(c.tags || []) };
        return [_("the customer is tagged %(tags)s", v), _("the customer is not tagged %(tags)s", v)];
      }
      case "sentiment": {
        const v = { values: list((c.sentiments || []).map((s) => valueName("sentiment", s))) };
        return [_("its sentiment is %(values)s", v), _("its sentiment is not %(values)s", v)];
      }
      case "intent": {
        const v = { values: list((c.intents || []).map((s) => valueName("intent", s))) };
        return [_("its intent is %(values)s", v), _("its intent is not %(values)s", v)];
      }
      case "business_hours":
        return c.when === "out"
          ? [_("it came outside business hours"), _("it did not come outside business hours")]
          : [_("it came during business hours"), _("it did not come during business hours")];
      default:
        return [c.type, c.type];
    }
  }

  function condition(c, lookups) {
    return conditionSentences(c, lookups)[c.not ? 1 : 0];
  }

  function hours(n) {
    return ngettext("%(num)s hour", "%(num)s hours", n);
  }

  function action(a, lookups) {
    switch (a.type) {
      case "tag": return _("tag it %(tags)s", { tags: list((a.tags || []).map((t) => _("“%(text)s”", { text: t })), "conjunction") });
      case "set_priority": return _("set the priority to %(priority)s", { priority: valueName("priority", a.priority) });
      case "assign_team": return _("assign it to the team %(team)s", { team: named(lookups.teams, a.team_id) });
      case "assign_agent": return _("assign it to %(agent)s", { agent: named(lookups.users, a.user_id) });
      case "apply_sla_policy": return _("apply the SLA policy %(policy)s", { policy: named(lookups.policies, a.policy_id) });
      case "exclude_from_sla": return _("take it out of SLA");
      case "hide": return _("hide it on the network");
      case "mark_spam": return _("mark it as spam");
      case "notify": {
        const who = (a.user_ids || []).map((id) => named(lookups.users, id));
        if (a.team_id) who.push(_("the team %(team)s", { team: named(lookups.teams, a.team_id) }));
        return _("notify %(who)s", { who: list(who, "conjunction") });
      }
      case "auto_reply":
        return _("answer automatically with %(canned)s (at most once per customer in %(period)s)",
          { canned: named(lookups.canned, a.canned_id), period: hours(a.period_hours || 24) });
      default:
        return a.type;
    }
  }

  // "If …, and …" / "then …; …": the list's summary of a rule.
  function summary(rule, lookups) {
    const conditions = (rule.conditions || []).map((c) => condition(c, lookups));
    const actions = (rule.actions || []).map((a) => action(a, lookups));
    return {
      when: conditions.length ? _("If %(conditions)s", { conditions: list(conditions, "conjunction") })
        : _("On every customer message"),
      then: _("then %(actions)s", { actions: list(actions, "conjunction") }),
    };
  }

  window.CareboxRuleWords = {
    CONDITIONS: CONDITIONS, ACTIONS: ACTIONS, VALUES: VALUES, NETWORKS: NETWORKS, PRIORITIES: PRIORITIES,
    valueName: valueName, condition: condition, action: action, summary: summary, hours: hours,
  };
})();

// The front-end's strings and formats, in the reader's language: window.CareboxI18n.
// Strings come from the `js` catalogue (app/translations/<locale>/LC_MESSAGES/js.po), which
// /i18n/<locale>/catalogue.js hands over as window.CareboxCatalogue; `make translations` extracts every
// _("…") / ngettext("…", "…", n) / pgettext("context", "…") call in static/js into it.
// Placeholders are named, as in Python: _("Breached at %(time)s", { time: … }).
// Numbers, dates and durations go through Intl, in <html lang> and the user's time zone (<html data-timezone>).
(function () {
  "use strict";

  const catalogue = window.CareboxCatalogue || { locale: "en", plural: ["one", "other"], messages: {} };
  const root = document.documentElement;
  const locale = root.lang || catalogue.locale || "en";
  const timeZone = root.dataset.timezone || undefined;
  const direction = root.dir || "ltr";
  const pluralRules = new Intl.PluralRules(locale);
  const CONTEXT_SEPARATOR = "\u0004";

  function interpolate(text, values) {
    if (!values) return text;
    return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function gettext(msgid, values) {
    const text = catalogue.messages[msgid];
    return interpolate(typeof text === "string" && text ? text : msgid, values);
  }

  function pgettext(context, msgid, values) {
    const text = catalogue.messages[context + CONTEXT_SEPARATOR + msgid];
    return interpolate(typeof text === "string" && text ? text : msgid, values);
  }

  // %(num)s is the count, formatted for the locale, unless values name it otherwise.
  function ngettext(singular, plural, count, values) {
    const forms = catalogue.messages[singular];
    const all = Object.assign({ num: number(count) }, values);
    if (Array.isArray(forms)) {
      let index = catalogue.plural.indexOf(pluralRules.select(count));
      if (index < 0 || !forms[index]) index = forms.length - 1;
      if (forms[index]) return interpolate(forms[index], all);
    }
    return interpolate(count === 1 ? singular : plural, all);
  }

  const formats = new Map();
  function cached(kind, options, make) {
    const key = kind + JSON.stringify(options || {});
    if (!formats.has(key)) formats.set(key, make());
    return formats.get(key);
  }

  function number(value, options) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    return cached("n", options, () => new Intl.NumberFormat(locale, options)).format(value);
  }

  function percent(share, digits) {
    if (share === null || share === undefined || Number.isNaN(share)) return "—";
    const d = digits === undefined ? 1 : digits;
    return number(share, { style: "percent", minimumFractionDigits: d, maximumFractionDigits: d });
  }

  // A date and/or time in the user's time zone; options as Intl.DateTimeFormat's (default: date and time, short).
  function dateTime(value, options) {
    if (value === null || value === undefined || value === "") return "";
    const date = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(date.getTime())) return "";
    const opts = Object.assign({ timeZone: timeZone }, options || { dateStyle: "medium", timeStyle: "short" });
    return cached("d", opts, () => new Intl.DateTimeFormat(locale, opts)).format(date);
  }

  // A length of time, narrow ("12 min 05 s", "12 мин 05 с", "١٢ د ٥ ث"): two units at most, like a clock face.
  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
    const s = Math.max(0, Math.round(seconds));
    const parts = s < 60 ? [[s, "second"]]
      : s < 3600 ? [[Math.floor(s / 60), "minute"], [s % 60, "second"]]
      : s < 48 * 3600 ? [[Math.floor(s / 3600), "hour"], [Math.floor(s / 60) % 60, "minute"]]
      : [[Math.floor(s / 86400), "day"], [Math.floor(s / 3600) % 24, "hour"]];
    const shown = parts.filter(([value], i) => i === 0 || value > 0);
    return cached("l", null, () => new Intl.ListFormat(locale, { type: "unit", style: "narrow" }))
      .format(shown.map(([value, unit]) => number(value, { style: "unit", unit: unit, unitDisplay: "short" })));
  }

  // "in 3 hours" / "12 minutes ago", from a signed number of seconds (future positive).
  function relative(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
    const abs = Math.abs(seconds);
    const [value, unit] = abs < 60 ? [seconds, "second"] : abs < 3600 ? [seconds / 60, "minute"]
      : abs < 86400 ? [seconds / 3600, "hour"] : [seconds / 86400, "day"];
    return cached("r", null, () => new Intl.RelativeTimeFormat(locale, { numeric: "auto", style: "long" }))
      .format(Math.round(value), unit);
  }

  window.CareboxI18n = {
    locale: locale, timeZone: timeZone, direction: direction,
    _: gettext, gettext: gettext, pgettext: pgettext, ngettext: ngettext,
    number: number, percent: percent, dateTime: dateTime, duration: duration, relative: relative,
  };
})();

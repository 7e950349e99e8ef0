// Times and durations for people, in the reader's language and time zone (static/js/i18n.js, Intl):
// short in the list, full on hover and in the thread. No hand-written English formats.
import { dateTime, locale, number, relative } from "./i18n.js";

const CLOCK = { hour: "2-digit", minute: "2-digit" };
const DAY = { day: "numeric", month: "short" };
const CALENDAR_DAY = { year: "numeric", month: "numeric", day: "numeric" };
const FULL = { dateStyle: "medium", timeStyle: "medium" };

export function parseTime(iso) {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : t;
}

/** "14:05" today (in the user's time zone), "3 Jan" before. */
export function shortTime(iso) {
  const t = parseTime(iso);
  if (t === null) return "";
  const today = dateTime(Date.now(), CALENDAR_DAY) === dateTime(t, CALENDAR_DAY);
  return dateTime(t, today ? CLOCK : DAY);
}

export function fullTime(iso) {
  const t = parseTime(iso);
  return t === null ? "" : dateTime(t, FULL);
}

/** "5 minutes ago", "in 3 hours": from `iso` to now. */
export function ago(iso, now = Date.now()) {
  const t = parseTime(iso);
  return t === null ? "" : relative((t - now) / 1000);
}

const unit = (value, name) => number(value, { style: "unit", unit: name, unitDisplay: "narrow" });
let units = null;

/**
 * A compact length of time for the list's clocks, from milliseconds: the CLDR's narrow units
 * ("42s", "5m", "1h 5m", "3d 4h" in English, "5 мин", "1 ч 5 мин" in Russian), minutes alone under an hour.
 * (i18n.js's duration() is the long form, with seconds: the open conversation's header uses it.)
 */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return unit(s, "second");
  const m = Math.floor(s / 60);
  if (m < 60) return unit(m, "minute");
  const h = Math.floor(m / 60);
  units = units || new Intl.ListFormat(locale, { type: "unit", style: "narrow" });
  if (h < 24) return units.format(m % 60 ? [unit(h, "hour"), unit(m % 60, "minute")] : [unit(h, "hour")]);
  return units.format(h % 24 ? [unit(Math.floor(h / 24), "day"), unit(h % 24, "hour")] : [unit(Math.floor(h / 24), "day")]);
}

let conjunction = null;

/** "a, b and c" in the reader's language. */
export function listOf(items) {
  conjunction = conjunction || new Intl.ListFormat(locale, { type: "conjunction" });
  return conjunction.format(items);
}

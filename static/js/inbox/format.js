// Times and durations for people: short in the list, full on hover and in the thread.
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function parseTime(iso) {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : t;
}

/** "14:05" today, "3 Jan" before. */
export function shortTime(iso) {
  const t = parseTime(iso);
  if (t === null) return "";
  const date = new Date(t);
  return date.toDateString() === new Date().toDateString() ? clock.format(date) : day.format(date);
}

export function fullTime(iso) {
  const t = parseTime(iso);
  return t === null ? "" : full.format(new Date(t));
}

/** 42s, 5m, 1h 05m, 3d 4h */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

// The inbox's door to window.CareboxI18n (static/js/i18n.js, loaded before any module).
export const { _, ngettext, pgettext, number, percent, dateTime, duration, relative, locale, timeZone, direction } =
  window.CareboxI18n;

// Display names of the domain's words (statuses, priorities, SLA states, networks…) in the reader's language.
// The data keeps its English values (the API's, the filters', the CSS classes'); only what is shown is translated.
import { _, locale, pgettext } from "./i18n.js";

const STATUSES = {
  open: pgettext("conversation status", "Open"),
  pending: pgettext("conversation status", "Pending"),
  resolved: pgettext("conversation status", "Resolved"),
};

const PRIORITIES = {
  low: pgettext("priority", "Low"),
  normal: pgettext("priority", "Normal"),
  high: pgettext("priority", "High"),
  urgent: pgettext("priority", "Urgent"),
};

// The brands' own names stay as they are; "custom" is ours (a channel fed through the API).
const NETWORKS = { twitter: "X", facebook: "Facebook", custom: pgettext("network", "Custom") };

// How an earlier conversation of the customer ended (the customer panel's history).
const OUTCOMES = {
  answered: pgettext("conversation outcome", "answered"),
  unanswered: pgettext("conversation outcome", "unanswered"),
  spam: pgettext("conversation outcome", "spam"),
};

const DELIVERY = {
  queued: pgettext("delivery state", "Queued"),
  sending: pgettext("delivery state", "Sending…"),
  sent: pgettext("delivery state", "Sent"),
  failed: pgettext("delivery state", "Failed"),
  unknown: pgettext("delivery state", "Unknown"),
};

const PAUSE_REASONS = {
  outside_business_hours: _("outside business hours"),
  holiday: _("holiday"),
};

const ROLES = { agent: pgettext("role", "Agent"), manager: pgettext("role", "Manager"), admin: pgettext("role", "Admin") };

const shown = (names) => (value) => (value === null || value === undefined ? "" : names[value] || String(value));

export const statusName = shown(STATUSES);
export const priorityName = shown(PRIORITIES);
export const networkName = shown(NETWORKS);
export const outcomeName = shown(OUTCOMES);
export const deliveryName = shown(DELIVERY);
export const pauseReasonName = shown(PAUSE_REASONS);
export const roleName = shown(ROLES);

/** A language by its name in the reader's language ("ru" → "Russian", "русский"…), from Intl. */
export function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([locale], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

// Display words of issue 16's fields, in the reader's language: a message's state on the network, triage's
// reading (sentiment, intent), why a conversation ranks high, and why a network refused a moderation action.
// The data keeps the API's English values; only what is shown is translated.
import { _, pgettext } from "./i18n.js";
import { networkName } from "./names.js";

const SENTIMENTS = {
  negative: pgettext("sentiment", "Negative"),
  neutral: pgettext("sentiment", "Neutral"),
  positive: pgettext("sentiment", "Positive"),
};

const INTENTS = {
  complaint: pgettext("intent", "Complaint"),
  question: pgettext("intent", "Question"),
  praise: pgettext("intent", "Praise"),
  spam: pgettext("intent", "Spam"),
  other: pgettext("intent", "Other"),
};

// Short chips in the list, and what each means (the chip's description, read after its name).
const REASONS = {
  followers: [pgettext("priority reason", "Followers"), _("The customer has many followers: the post reaches many people.")],
  negative: [pgettext("priority reason", "Negative"), _("The customer's message reads as negative.")],
  complaint: [pgettext("priority reason", "Complaint"), _("The customer's message reads as a complaint.")],
  vip: [pgettext("priority reason", "VIP"), _("The customer is on the VIP list.")],
  rule: [pgettext("priority reason", "Rule"), _("A rule raised its priority.")],
  manual: [pgettext("priority reason", "Manual"), _("Someone set its priority by hand.")],
};

const shown = (names) => (value) => (value === null || value === undefined ? "" : names[value] || String(value));

export const sentimentName = shown(SENTIMENTS);
export const intentName = shown(INTENTS);

/** [chip, description] for a priority reason (an unknown one shows as it came). */
export function reasonWords(reason) {
  return REASONS[reason] || [String(reason), String(reason)];
}

/** "Hidden on Facebook", "Deleted on Instagram": a message's state on its network, in words. */
export function moderationWords(state, network) {
  const values = { network: networkName(network) };
  if (state === "hidden") return _("Hidden on %(network)s", values);
  if (state === "deleted") return _("Deleted on %(network)s", values);
  return "";
}

export function likedWords(network) {
  return _("Liked on %(network)s", { network: networkName(network) });
}

// Why the network refused (MODERATION_REFUSALS of app/connectors/base.py), by network where its rule differs.
const REFUSALS = {
  not_hideable_facebook: _("Facebook does not allow hiding this comment: the Page's own comments always stay visible."),
  not_hideable_instagram: _("Instagram does not allow hiding this comment: comments by the account that owns the post always stay visible."),
  not_hideable_twitter: _("X allows hiding only replies in a conversation the brand started, and this post is not one."),
  not_hideable: _("The network does not allow hiding this message."),
  not_supported: _("%(network)s does not offer this action for this message."),
  object_missing: _("The message is no longer on %(network)s: it was deleted there, or the account can no longer see it."),
  not_permitted: _("%(network)s refused: the connected account lacks the permission for this action. An admin may need to reconnect it."),
};

/** The sentence for a refused moderation action, or null when the reason is not one we know. */
export function moderationRefusal(reason, network) {
  const sentence = REFUSALS[`${reason}_${network}`] || REFUSALS[reason];
  return sentence ? sentence.replace("%(network)s", () => networkName(network)) : null;
}

// What a message carries besides its text, in words (never colour alone): its state on the network (hidden,
// deleted, liked by the brand), triage's reading of a customer message (sentiment, intent), and, on the brand's
// side, "Automatic answer" when a rule sent it: customers and agents must tell a machine's answer from a person's.
import { _, pgettext } from "./i18n.js";
import { intentName, likedWords, moderationRefusal, moderationWords, sentimentName } from "./modnames.js";
import { el } from "./text.js";

/** The badges of `msg`'s state on `network` (hidden or deleted, liked, the last refusal), or []. */
export function networkMarks(msg, network) {
  const marks = [];
  if (msg.moderation === "hidden" || msg.moderation === "deleted") {
    marks.push(el("span", { class: `mod-state mod-state-${msg.moderation}`, text: moderationWords(msg.moderation, network) }));
  }
  if (msg.liked) {
    marks.push(el("span", { class: "mod-state mod-state-liked" },
      el("span", { class: "mod-icon", "aria-hidden": "true", text: "♥" }), " ", likedWords(network)));
  }
  const refusal = msg.moderation_error_code ? moderationRefusal(msg.moderation_error_code, network) : null;
  if (refusal) marks.push(el("span", { class: "mod-refused", text: _("Last action refused: %(reason)s", { reason: refusal }) }));
  return marks;
}

/** Triage's reading of a customer message, as two small labels, each saying what it is to screen readers. */
export function triageLabels(msg) {
  if (msg.direction !== "inbound") return [];
  const labels = [];
  if (msg.sentiment) {
    labels.push(el("span", { class: `triage sentiment-${msg.sentiment}`, title: _("Sentiment, as Carebox reads it") },
      el("span", { class: "visually-hidden", text: _("Sentiment:") }), " ", sentimentName(msg.sentiment)));
  }
  if (msg.intent) {
    labels.push(el("span", { class: `triage intent-${msg.intent}`, title: _("Intent, as Carebox reads it") },
      el("span", { class: "visually-hidden", text: _("Intent:") }), " ", intentName(msg.intent)));
  }
  return labels;
}

/** "Automatic answer" on the brand's reply a rule sent (automatic_rule_id). */
export function automaticMark(msg) {
  if (msg.direction !== "outbound" || !msg.automatic_rule_id) return null;
  return el("span", { class: "auto-answer", title: _("Sent by a rule, not by a person") },
    el("span", { class: "auto-icon", "aria-hidden": "true", text: "⚙" }), " ", pgettext("message mark", "Automatic answer"));
}

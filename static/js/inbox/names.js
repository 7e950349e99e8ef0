// Display names of the domain's words (statuses, priorities, SLA states, networks…) in the reader's language.
// The data keeps its English values (the API's, the filters', the CSS classes'); only what is shown is translated.
import { _, locale, number, pgettext } from "./i18n.js";

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
const NETWORKS = { twitter: "X", facebook: "Facebook", instagram: "Instagram", custom: pgettext("network", "Custom") };

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

// Where a conversation happens: in public (mentions, comments) or in private messages (DMs, Messenger).
const CHANNELS = { public: pgettext("channel", "Public"), private: pgettext("channel", "Private") };

// Why a conversation cannot move to a private message (can_move_to_private.reason).
const MOVE_REFUSALS = {
  already_moved: _("It has already moved to a private conversation."),
  not_public: _("This conversation is already private."),
  no_customer_message: _("There is no customer message to answer privately."),
  private_reply_window_closed: _("Facebook allows a private reply only within 7 days of the comment, and that time has passed."),
  private_reply_window_closed_instagram: _("Instagram allows a private reply only within 7 days of the comment, and that time has passed."),
  live_ended: _("Instagram allows a private reply to a comment on a live video only while the video is live, and this one has ended."),
  already_replied_privately: _("This comment already had its one private reply."),
  network_has_no_dms: _("This network has no private messages."),
};

// Why a reply was refused, before sending (the API's 422 codes) or by the network (delivery_error_code).
const REPLY_REFUSALS = {
  outside_window: _("Not sent: the messaging window has closed. The customer must write first."),
  recipient_refuses_dms: _("Not sent: this customer does not accept direct messages from the brand."),
  already_replied_privately: _("Not sent: this comment already had its one private reply."),
  cannot_reply_privately: _("Not sent: the network does not allow a private reply to this comment."),
  // Instagram's refusals of a public reply (REPLY_REFUSALS of the connectors).
  comment_hidden: _("Not sent: the comment is hidden, and Instagram does not allow replies to a hidden comment."),
  comment_deleted: _("Not sent: the comment was deleted."),
  live_comment: _("Not sent: Instagram does not allow replies to comments on a live video."),
  comments_disabled: _("Not sent: comments are turned off on this post."),
};

// What kind of media a comment or a mention hangs off (posts[].media_type and product_type, Instagram's words).
const MEDIA_KINDS = {
  post: pgettext("media kind", "Post"),
  reel: pgettext("media kind", "Reel"),
  carousel: pgettext("media kind", "Carousel"),
  live: pgettext("media kind", "Live video"),
  story: pgettext("media kind", "Story"),
};

const shown = (names) => (value) => (value === null || value === undefined ? "" : names[value] || String(value));

export const statusName = shown(STATUSES);
export const priorityName = shown(PRIORITIES);
export const networkName = shown(NETWORKS);
export const outcomeName = shown(OUTCOMES);
export const deliveryName = shown(DELIVERY);
export const pauseReasonName = shown(PAUSE_REASONS);
export const roleName = shown(ROLES);
export const channelName = shown(CHANNELS);

/**
 * The sentence for a refused move (null when the code is not one we know: the server's own message then);
 * `network` picks the network's own rule where it differs (Instagram's Private Reply window).
 */
export const moveRefusal = (code, network) => MOVE_REFUSALS[`${code}_${network}`] || MOVE_REFUSALS[code] || null;

/** The kind of a post (a posts[] entry): reel, story, live video, carousel, or a plain post. */
export function mediaKind(post) {
  const product = String(post?.product_type || "").toUpperCase();
  const type = String(post?.media_type || "").toUpperCase();
  if (product === "REELS") return "reel";
  if (product === "STORY") return "story";
  if (product === "LIVE") return "live";
  if (type === "CAROUSEL_ALBUM") return "carousel";
  return "post";
}

export const mediaKindName = shown(MEDIA_KINDS);

/** The sentence for a refused reply, by its code (reply_too_long needs `details`: [{length, limit}]). */
export function replyRefusal(code, details) {
  if (code === "reply_too_long") {
    const detail = (Array.isArray(details) && details[0]) || {};
    if (typeof detail.length === "number" && typeof detail.limit === "number") {
      return _("Not sent: %(length)s characters, the limit here is %(limit)s.", { length: number(detail.length), limit: number(detail.limit) });
    }
    return _("Not sent: the reply is longer than this channel allows.");
  }
  return REPLY_REFUSALS[code] || null;
}

/** A language by its name in the reader's language ("ru" → "Russian", "русский"…), from Intl. */
export function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([locale], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

// The media a run of public messages hangs off (an Instagram post, reel, carousel, live video or story), as a
// context card above that run in the thread: the thumbnail, the caption, what kind of media it is and a link
// to it on the network. The detail's `posts` holds them by external id; each message names its own in
// `post_external_id`. A post of someone else's (owned: false) is where the brand was mentioned.
//
// The caption is customer text (or the brand's, copied from the network): text only, dir="auto", clamped to
// a few lines with a button to show it whole. The thumbnail loads only from the URL given, lazily, without
// a referrer; its alt text is the caption, so the card says the same to a screen reader.
import { fullTime, shortTime } from "./format.js";
import { _ } from "./i18n.js";
import { mediaKind, mediaKindName, networkName } from "./names.js";
import { el, plain, safeUrl, sentence, truncate } from "./text.js";

const ALT_GRAPHEMES = 140; // alt text is read in one breath: the start of the caption
const CLAMP_GRAPHEMES = 180; // longer captions start clamped, with a button to show them whole

/** The post `msg` hangs off, from the detail's posts, or null. */
export function postOf(detail, msg) {
  const id = msg && msg.post_external_id;
  if (!id || !detail || !detail.posts) return null;
  return detail.posts[id] || null;
}

function thumbnail(post, kind) {
  const src = safeUrl(post.thumbnail_url);
  if (!src) return el("span", { class: "post-thumb post-thumb-none", "aria-hidden": "true" });
  const caption = plain(post.caption || "").trim();
  const alt = caption ? truncate(caption, ALT_GRAPHEMES) : mediaKindName(kind);
  return el("img", {
    class: "post-thumb", src, alt, loading: "lazy", decoding: "async", referrerpolicy: "no-referrer",
    width: "64", height: "64",
  });
}

function whose(post) {
  if (post.owned !== false) return null;
  const owner = post.owner_handle;
  return el("p", { class: "post-owner" }, owner
    ? sentence(_("Mentioned in %(owner)s's post"), { owner: el("bdi", { class: "post-owner-handle" }, `@${plain(owner)}`) })
    : _("Mentioned in someone else's post"));
}

function captionBlock(post) {
  const text = plain(post.caption || "").trim();
  if (!text) return [el("p", { class: "post-caption post-caption-none muted", text: _("No caption") })];
  const caption = el("p", { class: "post-caption", dir: "auto", text });
  if (truncate(text, CLAMP_GRAPHEMES) === text) return [caption];
  caption.classList.add("is-clamped");
  const more = el("button", { type: "button", class: "link post-more", "aria-expanded": "false", text: _("Show the whole caption") });
  more.addEventListener("click", () => {
    const open = caption.classList.toggle("is-clamped") === false;
    more.setAttribute("aria-expanded", String(open));
    more.textContent = open ? _("Show less of the caption") : _("Show the whole caption");
  });
  return [caption, more];
}

/** The card for `post` (a posts[] entry) on `network`: an <li> for the thread's list. */
export function card(post, network) {
  const kind = mediaKind(post);
  const link = safeUrl(post.permalink)
    ? el("a", { class: "post-link", href: post.permalink, text: _("Open on %(network)s", { network: networkName(network) }) })
    : null;
  if (link) link.rel = "noopener noreferrer"; // a post of the network's: no nofollow needed, no opener, no referrer
  const label = post.owned === false ? _("The post the brand is mentioned in") : _("The post these comments are on");
  return el("li", { class: `post-card post-${kind}${post.owned === false ? " post-not-owned" : ""}`, dataset: { post: String(post.external_id) } },
    el("article", { class: "post-body", "aria-label": label },
      thumbnail(post, kind),
      el("div", { class: "post-text" },
        el("p", { class: "post-meta" },
          el("span", { class: `post-kind post-kind-${kind}`, text: mediaKindName(kind) }),
          post.posted_at ? " · " : null,
          post.posted_at ? el("time", { datetime: post.posted_at, title: fullTime(post.posted_at), text: shortTime(post.posted_at) }) : null),
        whose(post),
        ...captionBlock(post),
        link)));
}

// Safe rendering of hostile text. Customer text, names and handles only ever reach the page as text
// nodes (textContent); links are made only from absolute http(s) URLs; every element that shows
// customer text gets dir="auto" so right-to-left text displays correctly.
//
// Bidi controls: explicit embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) in hostile
// text reorder what agents read (a handle that reads as another brand's, a link that reads as another
// URL). Every string el() and linkify() put on the page is stripped of them, and each piece of customer
// text (a name, a handle, a message) sits in an element of its own that app.css isolates (<bdi>, or
// dir="auto"), so it cannot reorder what is around it. Same list in static/js/sla_format.js and
// app/text_safety.py.

import { pgettext } from "./i18n.js";

const LINK_REL = "noopener noreferrer nofollow";
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/gu;
const FSI = "\u2068";
const PDI = "\u2069";

/** Text without bidi embedding, override and isolate controls. */
export function plain(text) {
  return String(text ?? "").replace(BIDI_CONTROLS, "");
}

/** For places that take plain text only (the page title, an aria-label): neutralised, then isolated (FSI…PDI). */
export function isolated(text) {
  return FSI + plain(text) + PDI;
}
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}»”’'"]+$/u;
const graphemes = typeof Intl !== "undefined" && Intl.Segmenter
  ? new Intl.Segmenter(undefined, { granularity: "grapheme" })
  : null;

/** An absolute http(s) URL, normalised, or null (javascript:, data:, relative… are refused). */
export function safeUrl(raw) {
  if (typeof raw !== "string" || !raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * el("li", {class: "x", text: hostile, dir: "auto", on: {click: fn}}, child, "text", …)
 * Strings become text nodes; attribute names are code, never data; href only through safeUrl.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = plain(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === "href") {
      const href = safeUrl(value);
      if (href) {
        node.href = href;
        node.rel = LINK_REL;
        node.target = "_blank";
      }
    } else if (/^on/i.test(key)) throw new Error(`inline handler ${key}: use on: {…}`);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : plain(child));
  }
  return node;
}

/** Customer text as a fragment: text nodes, with http(s) URLs as safe links (new tab, no opener). */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  const source = plain(text);
  let last = 0;
  for (const match of source.matchAll(URL_IN_TEXT)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, "");
    const href = safeUrl(url);
    if (!href) continue;
    fragment.append(source.slice(last, match.index));
    fragment.append(el("a", { href, text: url, class: "ext" }));
    last = match.index + url.length;
  }
  fragment.append(source.slice(last));
  return fragment;
}

/** Where the first `max` grapheme clusters of `source` end (UTF-16 index), or -1 when it has no more. */
function graphemeEnd(source, max) {
  if (source.length <= max) return -1; // UTF-16 length >= grapheme count
  if (!graphemes) {
    const points = [...source];
    return points.length <= max ? -1 : points.slice(0, max).join("").length;
  }
  let count = 0;
  for (const { index } of graphemes.segment(source)) {
    if (count === max) return index;
    count += 1;
  }
  return -1;
}

/** At most `max` user-perceived characters (grapheme clusters): emoji and combining marks stay whole. */
export function truncate(text, max) {
  const source = text || "";
  const end = graphemeEnd(source, max);
  return end < 0 ? source : source.slice(0, end).trimEnd() + "…";
}

/** Number of code points (what the server's len() counts). */
export function codePoints(text) {
  let n = 0;
  for (const _ of text || "") n += 1; // eslint-disable-line no-unused-vars
  return n;
}

/** The customer's name and handle, each isolated: <bdi>Name</bdi> @<bdi>handle</bdi> (reads "Name @handle"). */
export function contactLabel(contact) {
  if (!contact) return [];
  const name = el("bdi", { text: contact.name || contact.handle || contact.external_id || pgettext("customer", "unknown") });
  return contact.handle ? [name, " @", el("bdi", { text: contact.handle })] : [name];
}

export function contactName(contact) {
  return (contact && (contact.name || contact.handle || contact.external_id)) || pgettext("customer", "unknown");
}

const PLACEHOLDER = /%\((\w+)\)s/gu;

/**
 * A translated sentence with nodes in it: sentence(_("%(name)s is typing…"), {name: el("bdi", …)}) → children
 * for el() / replaceChildren(). The translation decides where each piece goes (word order differs between
 * languages); names stay in elements of their own (<bdi>), isolated from the sentence around them.
 * Call _() without values, so the placeholders are still in the text.
 */
export function sentence(translated, pieces) {
  const children = [];
  let last = 0;
  for (const match of translated.matchAll(PLACEHOLDER)) {
    children.push(translated.slice(last, match.index));
    const piece = pieces[match[1]];
    children.push(piece === undefined ? match[0] : piece);
    last = match.index + match[0].length;
  }
  children.push(translated.slice(last));
  return children.flat().filter((child) => child !== "");
}

/** A name (a teammate's, a brand's, a customer's) as an isolated element: <bdi>name</bdi>. */
export function bdi(name) {
  return el("bdi", { text: name });
}

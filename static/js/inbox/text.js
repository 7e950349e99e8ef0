// Safe rendering of hostile text. Customer text, names and handles only ever reach the page as text
// nodes (textContent); links are made only from absolute http(s) URLs; every element that shows
// customer text gets dir="auto" so right-to-left text displays correctly.

const LINK_REL = "noopener noreferrer nofollow";
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
    else if (key === "text") node.textContent = value;
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
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Customer text as a fragment: text nodes, with http(s) URLs as safe links (new tab, no opener). */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  const source = text || "";
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

/** The customer's name and handle as one line of text: "Name @handle". */
export function contactLabel(contact) {
  if (!contact) return "";
  const name = contact.name || contact.handle || contact.external_id || "unknown";
  return contact.handle ? `${name} @${contact.handle}` : name;
}

export function contactName(contact) {
  return (contact && (contact.name || contact.handle || contact.external_id)) || "unknown";
}

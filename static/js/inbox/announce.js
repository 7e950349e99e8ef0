// Live changes, told to screen readers politely: one aria-live="polite" region (#announcer in the
// template), which waits for the reader to finish and never moves focus. Bursts are summed up: twenty
// conversations arriving at once are one sentence ("20 new conversations"), not twenty.
import { ngettext } from "./i18n.js";

const region = document.getElementById("announcer");
const BURST_MS = 1500;
let newConversations = 0;
let burstTimer = null;

// Visually hidden, still read: app.css has no such class yet, and the CSP forbids style="" in markup
// (CSSOM from a script is allowed).
Object.assign(region.style, {
  position: "absolute", width: "1px", height: "1px", margin: "-1px", padding: "0", border: "0",
  overflow: "hidden", clipPath: "inset(50%)", whiteSpace: "nowrap",
});

/** Say `text` (already translated) once the screen reader is idle. */
export function announce(text) {
  if (!text) return;
  // Same text twice in a row: screen readers skip an unchanged region, so clear it first.
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** A conversation arrived live: counted, then announced with the others of its burst. */
export function conversationArrived() {
  newConversations += 1;
  if (burstTimer !== null) return;
  burstTimer = window.setTimeout(() => {
    const n = newConversations;
    newConversations = 0;
    burstTimer = null;
    announce(ngettext("%(num)s new conversation", "%(num)s new conversations", n));
  }, BURST_MS);
}

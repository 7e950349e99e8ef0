// A small pop-up under the composer: "/shortcut" → canned responses, "@name" (in notes) → teammates.
// Arrow keys move, Tab or Enter picks, Esc closes.
import { languageName } from "./names.js";
import { el } from "./text.js";

const box = document.getElementById("suggestions");
let items = [];
let active = 0;
let onPick = null;

export function isOpen() {
  return !box.hidden;
}

export function close() {
  box.hidden = true;
  box.replaceChildren();
  items = [];
  onPick = null;
}

function show() {
  for (const [index, node] of [...box.children].entries()) {
    node.classList.toggle("is-active", index === active);
    node.setAttribute("aria-selected", String(index === active));
  }
}

/** A canned response's language as a small badge ("RU"), its name ("Russian", in the reader's language) on hover. */
function languageBadge(language) {
  if (!language) return null;
  return el("span", { class: "badge lang-badge", lang: language, title: languageName(language), text: language.toUpperCase() });
}

/** options: [{label, detail, language, value}]; pick(value) is called with the chosen one. */
export function open(options, pick) {
  if (!options.length) {
    close();
    return;
  }
  items = options;
  active = 0;
  onPick = pick;
  box.replaceChildren(...options.map((option, index) => el("li", {
    role: "option",
    class: "suggestion",
    on: { mousedown: (event) => { event.preventDefault(); choose(index); } },
  }, el("strong", { text: option.label, dir: "auto" }), " ", el("span", { class: "muted", dir: "auto", text: option.detail || "" }),
  option.language ? " " : null, languageBadge(option.language))));
  box.hidden = false;
  show();
}

function choose(index) {
  const option = items[index];
  const pick = onPick;
  close();
  if (option && pick) pick(option.value);
}

/** Handles the key if the pop-up is open; returns true when it did. */
export function handleKey(event) {
  if (!isOpen()) return false;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    show();
  } else if (event.key === "Tab" || (event.key === "Enter" && !event.ctrlKey && !event.metaKey)) {
    choose(active);
  } else if (event.key === "Escape") {
    close();
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

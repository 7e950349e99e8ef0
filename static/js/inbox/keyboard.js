// Inbox shortcuts. They apply when no text field has focus (the composer handles its own keys:
// Ctrl/Cmd+Enter sends, Esc leaves it). "?" lists them.
//
// Letter shortcuts match the physical key (event.code: "KeyJ"), not the character it types (event.key):
// on an Arabic or a Cyrillic layout the J key types "ت" or "о", and j/k must still move. The help
// (the template's #shortcuts dialog) shows the Latin key caps, printed on those keyboards too.
// "?" is a character, not a key: Shift+Slash on a US layout, elsewhere on others (Shift+7 on a German
// one, Shift+, on a Russian one; Arabic layouts type "؟"). So "?" matches by event.key ("?" or "؟"), and
// also as Shift+Slash by code, for layouts where that key types something else; "/" likewise matches both.
const help = document.getElementById("shortcuts");

const NOT_TYPED_INTO = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"]);

function typingInField(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === "INPUT") return !NOT_TYPED_INTO.has(target.type); // a ticked checkbox keeps j/k working
  return target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
}

const HELP_CHARACTERS = new Set(["?", "\u061F"]); // "?" and the Arabic question mark "؟"
// Delete a message on the network: the Delete key, or "#" (a character, like "?": Shift+3 on a US layout),
// for keyboards without a Delete key. Either asks first.
const DELETE_CHARACTER = "#";

/** The shortcut `event` stands for: "help", a physical key's code ("KeyJ", "Slash"…), or a named key ("ArrowDown"). */
function shortcutOf(event) {
  if (HELP_CHARACTERS.has(event.key) || (event.shiftKey && event.code === "Slash")) return "help";
  if (event.key === "/") return "Slash"; // layouts that type "/" elsewhere (Shift+7 on a German one)
  if (event.key === DELETE_CHARACTER) return "Delete";
  if (event.shiftKey) return null; // J with Shift is not j
  if (event.code === "NumpadEnter") return "Enter";
  if (!event.code && /^[a-z]$/iu.test(event.key || "")) return `Key${event.key.toUpperCase()}`; // no physical key known (some virtual keyboards)
  return event.code || event.key;
}

/**
 * actions: {move(delta), open(), reply(), note(), resolve(), claim(), moveToPrivate(), toggleHidden(), toggleLiked(),
 * deleteMessage(), toggleChecked(), search(), closePanels()}
 */
export function init(actions) {
  const keys = {
    KeyJ: () => actions.move(1),
    ArrowDown: () => actions.move(1),
    KeyK: () => actions.move(-1),
    ArrowUp: () => actions.move(-1),
    Enter: () => actions.open(),
    KeyO: () => actions.open(),
    KeyR: () => actions.reply(),
    KeyN: () => actions.note(),
    KeyE: () => actions.resolve(),
    KeyA: () => actions.claim(),
    KeyM: () => actions.moveToPrivate(),
    KeyH: () => actions.toggleHidden(),
    KeyL: () => actions.toggleLiked(),
    Delete: () => actions.deleteMessage(),
    KeyX: () => actions.toggleChecked(),
    Slash: () => actions.search(),
    NumpadDivide: () => actions.search(),
    help: () => (help.open ? help.close() : help.showModal()),
    Escape: () => actions.closePanels(),
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typingInField(event.target) || help.open || document.querySelector("dialog[open]")) return;
    const shortcut = shortcutOf(event);
    if (shortcut === "Enter" && event.target.closest && event.target.closest("button, a, summary")) return;
    const action = keys[shortcut];
    if (!action) return;
    event.preventDefault();
    action();
  });
}

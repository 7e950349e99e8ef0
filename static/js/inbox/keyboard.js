// Inbox shortcuts. They apply when no text field has focus (the composer handles its own keys:
// Ctrl/Cmd+Enter sends, Esc leaves it). "?" lists them.
const help = document.getElementById("shortcuts");

const NOT_TYPED_INTO = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"]);

function typingInField(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === "INPUT") return !NOT_TYPED_INTO.has(target.type); // a ticked checkbox keeps j/k working
  return target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
}

/** actions: {move(delta), open(), reply(), note(), resolve(), claim(), toggleChecked(), search(), closePanels()} */
export function init(actions) {
  const keys = {
    j: () => actions.move(1),
    ArrowDown: () => actions.move(1),
    k: () => actions.move(-1),
    ArrowUp: () => actions.move(-1),
    Enter: () => actions.open(),
    o: () => actions.open(),
    r: () => actions.reply(),
    n: () => actions.note(),
    e: () => actions.resolve(),
    a: () => actions.claim(),
    x: () => actions.toggleChecked(),
    "/": () => actions.search(),
    "?": () => (help.open ? help.close() : help.showModal()),
    Escape: () => actions.closePanels(),
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typingInField(event.target) || help.open) return;
    if (event.key === "Enter" && event.target.closest && event.target.closest("button, a, summary")) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}

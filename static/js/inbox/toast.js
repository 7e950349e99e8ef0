// Short messages in the corner: action errors and notifications. Text only.
import { _ } from "./i18n.js";
import { el } from "./text.js";

const box = document.getElementById("toasts");
const SHOW_MS = 6000;

export function toast(text, { kind = "info", onClick = null } = {}) {
  const node = el(onClick ? "button" : "div", { type: onClick ? "button" : undefined, class: `toast toast-${kind}`, dir: "auto", text, role: kind === "error" ? "alert" : undefined });
  if (onClick) node.addEventListener("click", () => { node.remove(); onClick(); });
  box.append(node);
  window.setTimeout(() => node.remove(), SHOW_MS);
  return node;
}

export function toastError(exc, what) {
  // "Could not resolve it: the conversation was deleted." (the reason is the server's, already translated)
  return toast(_("%(what)s: %(reason)s", { what, reason: exc.message }), { kind: "error" });
}

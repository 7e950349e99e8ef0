// The Socket.IO connection: authenticated by the session cookie (the server refuses anyone else).
// Every (re)connect calls onConnect, which re-syncs from the API: nothing missed offline stays missing.
import { io } from "/vendor/socket.io-client/socket.io.esm.min.js";
import { get } from "./api.js";
import { _, pgettext } from "./i18n.js";
import { state } from "./store.js";

const status = document.getElementById("connection-state");
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;

function show(live, text) {
  state.connected = live;
  status.textContent = text;
  status.className = `conn ${live ? "conn-live" : "conn-offline"}`;
}

/** handlers: {onConnect(), "<event>": fn, …} for the server's events. */
export function connect(handlers) {
  const socket = io({ transports: ["websocket", "polling"] });
  let retryMs = RETRY_FIRST_MS;
  let retryTimer = null;

  // The client reconnects by itself after a network loss, but not when the server refused or closed
  // the connection: then we check the session (api() sends the page to the login form on 401) and
  // try again with backoff.
  async function retryLater() {
    if (retryTimer !== null) return;
    try {
      await get("/me");
    } catch {
      // unreachable: the retry below tries again
    }
    retryTimer = window.setTimeout(() => {
      retryTimer = null;
      socket.connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }

  socket.on("connect", () => {
    retryMs = RETRY_FIRST_MS;
    show(true, pgettext("connection state", "live"));
    handlers.onConnect();
  });
  socket.on("disconnect", (reason) => {
    show(false, _("offline — reconnecting…"));
    if (reason === "io server disconnect") retryLater();
  });
  socket.on("connect_error", () => {
    show(false, _("offline — reconnecting…"));
    if (!socket.active) retryLater();
  });
  for (const [event, fn] of Object.entries(handlers)) if (event !== "onConnect") socket.on(event, fn);
  return socket;
}

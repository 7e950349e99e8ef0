// The Socket.IO connection: authenticated by the session cookie (the server refuses anyone else).
// Every (re)connect calls onConnect, which re-syncs from the API: nothing missed offline stays missing.
import { io } from "/vendor/socket.io-client/socket.io.esm.min.js";
import { get } from "./api.js";
import { state } from "./store.js";

const status = document.getElementById("connection-state");
const RETRY_REFUSED_MS = 5000;

function show(live, text) {
  state.connected = live;
  status.textContent = text;
  status.className = `conn ${live ? "conn-live" : "conn-offline"}`;
}

/** handlers: {onConnect(), "<event>": fn, …} for the server's events. */
export function connect(handlers) {
  const socket = io({ transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    show(true, "live");
    handlers.onConnect();
  });
  socket.on("disconnect", () => show(false, "offline — reconnecting…"));
  socket.on("connect_error", async () => {
    show(false, "offline — reconnecting…");
    if (socket.active) return; // the client retries by itself
    // Refused by the server: the session may have ended (api() sends the page to the login form on 401).
    try {
      await get("/me");
    } catch {
      // unreachable: retry below
    }
    window.setTimeout(() => socket.connect(), RETRY_REFUSED_MS);
  });
  for (const [event, fn] of Object.entries(handlers)) if (event !== "onConnect") socket.on(event, fn);
  return socket;
}

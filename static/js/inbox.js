// First inbox page: the open conversations, most urgent first, kept live over Socket.IO.
// Customer text is hostile input: it only ever reaches the page through textContent.
(function () {
  "use strict";
  const list = document.getElementById("conversation-list");
  const empty = document.getElementById("empty-state");
  const connState = document.getElementById("connection-state");
  const conversations = new Map();

  function urgencyKey(c) {
    // Running clocks first by breach time, then the rest by latest activity (as the API sorts).
    const breach = c.sla && c.sla.breach_at ? Date.parse(c.sla.breach_at) : null;
    return breach !== null ? [0, breach, c.id] : [1, -Date.parse(c.last_message_at || 0), -c.id];
  }

  function compare(a, b) {
    const ka = urgencyKey(a), kb = urgencyKey(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function renderItem(c) {
    const li = el("li", "conversation sla-" + (c.sla ? c.sla.state : "stopped"));
    li.dataset.id = c.id;
    const who = el("span", "who");
    who.dir = "auto";
    who.textContent = (c.contact.name || c.contact.handle || c.contact.external_id) +
      (c.contact.handle ? " @" + c.contact.handle : "");
    const net = el("span", "network network-" + c.network, c.network);
    const snippet = el("span", "snippet", c.snippet);
    snippet.dir = "auto";
    const when = el("time", "when", c.last_message_at ? new Date(c.last_message_at).toLocaleTimeString() : "");
    if (c.last_message_at) when.dateTime = c.last_message_at;
    li.append(net, who, snippet, when);
    return li;
  }

  function render() {
    const open = [...conversations.values()].filter((c) => c.status !== "resolved").sort(compare);
    list.replaceChildren(...open.map(renderItem));
    empty.hidden = open.length > 0;
  }

  function upsert(c) {
    conversations.set(c.id, c);
    render();
  }

  async function sync() {
    const resp = await fetch("/api/v1/conversations?status=open&sort=sla&limit=200", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (resp.status === 401) { window.location = "/login"; return; }
    if (!resp.ok) return;
    const body = await resp.json();
    conversations.clear();
    body.items.forEach((c) => conversations.set(c.id, c));
    render();
  }

  const socket = io({ transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    connState.textContent = "live";
    connState.className = "conn conn-live";
    sync(); // re-sync after every (re)connect so nothing missed while offline stays missing
  });
  socket.on("disconnect", () => {
    connState.textContent = "offline — reconnecting…";
    connState.className = "conn conn-offline";
  });
  socket.on("conversation.created", (evt) => upsert(evt.conversation));
  socket.on("conversation.updated", (evt) => upsert(evt.conversation));
  socket.on("message.created", (evt) => upsert(evt.conversation));
})();

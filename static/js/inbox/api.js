// The REST API from the browser: session cookie + X-CSRFToken on writes, JSON errors as ApiError.
import { _ } from "./i18n.js";

const CSRF_TOKEN = document.querySelector('meta[name="csrf-token"]')?.content || "";
const TIMEOUT_MS = 15000;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || _("The server answered %(status)s.", { status: String(status) }));
    this.status = status;
    this.code = error.code || "error";
    this.details = error.details;
    this.body = body || {};
  }
}

function timeoutSignal(signal) {
  const timeout = AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : null;
  if (!signal) return timeout;
  if (!timeout || !AbortSignal.any) return signal;
  return AbortSignal.any([signal, timeout]);
}

// Query parameters every list and count request carries (the team filter, filters.js).
export const listScope = {};
const SCOPED = new Set(["/conversations", "/conversations/counts"]);

/** api("/conversations", {query: {status: "open"}}) → parsed JSON; throws ApiError (status 0: unreachable). */
export async function api(path, { method = "GET", body, query, headers = {}, signal } = {}) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  const scoped = method === "GET" && SCOPED.has(path) ? { ...listScope, ...query } : query;
  for (const [key, value] of Object.entries(scoped || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...headers },
    signal: timeoutSignal(signal),
  };
  if (UNSAFE.has(method)) init.headers["X-CSRFToken"] = CSRF_TOKEN;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (exc) {
    if (signal && signal.aborted) throw exc; // the caller gave up: not an error to show
    throw new ApiError(0, { error: { code: "unreachable", message: _("Carebox cannot be reached; check the connection and try again.") } });
  }
  if (response.status === 401) {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, query, signal) => api(path, { query, signal });
export const post = (path, body, headers) => api(path, { method: "POST", body, headers });
export const patch = (path, body) => api(path, { method: "PATCH", body });

// The REST API for the rules page (static/js/rules.js): window.CareboxRulesApi.
// The session's cookie; writes carry the page's CSRF token in X-CSRFToken, as the API's require() checks.
// A refusal is thrown as ApiError, with the API's message and its `details` (the fields it names).
(function () {
  "use strict";
  const { _ } = window.CareboxI18n;
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;

  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || _("The server answered %(status)s.", { status: String(status) }));
      this.status = status;
      this.details = error.details;
    }
  }

  async function api(method, path, body) {
    const init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") init.headers["X-CSRFToken"] = CSRF;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch("/api/v1" + path, init);
    if (resp.status === 401) window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
    const data = resp.status === 204 ? null : await resp.json().catch(() => null);
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }

  const items = (data) => (Array.isArray(data) ? data : (data && data.items) || []);
  window.CareboxRulesApi = { api: api, items: items, ApiError: ApiError };
})();

// Swagger UI over the generated OpenAPI document. "Try it out" calls go with the session cookie,
// so unsafe methods carry the CSRF token the API checks for session callers.
(function () {
  const root = document.getElementById("swagger-ui");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    requestInterceptor: function (req) {
      if (!/^(GET|HEAD|OPTIONS)$/i.test(req.method || "GET")) req.headers["X-CSRFToken"] = csrf;
      return req;
    },
  });
})();

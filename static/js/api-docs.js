// Swagger UI over the generated OpenAPI document. "Try it out" calls go with the session cookie,
// so unsafe methods carry the CSRF token the API checks for session callers.
(function () {
  const root = document.getElementById("swagger-ui");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // An operation's summary line is a button; the deep link Swagger UI draws inside it would be a control
  // inside a control (axe: nested-interactive). The summary keeps its text without the link (the address
  // still follows the open operation); a tag's header, which is no button, keeps its link.
  const noLinksInButtons = function () {
    return {
      wrapComponents: {
        DeepLink: function (Original, system) {
          return function (props) {
            const inSummary = String(props.path || "").indexOf("/") !== -1;
            return system.React.createElement(Original, Object.assign({}, props, { enabled: props.enabled && !inSummary }));
          };
        },
      },
    };
  };
  window.SwaggerUIBundle({
    plugins: [noLinksInButtons],
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    requestInterceptor: function (req) {
      if (!/^(GET|HEAD|OPTIONS)$/i.test(req.method || "GET")) req.headers["X-CSRFToken"] = csrf;
      return req;
    },
  });
})();

/* Swagger UI for /schema/swagger: the schema comes from openapi.json, not from an inline script. */
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var spec = document.getElementById("swagger-init").getAttribute("data-spec");
  window.ui = SwaggerUIBundle({
    url: spec,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
});

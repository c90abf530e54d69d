// Automations area behaviour. Plain JS with event delegation (no eval, no
// inline handlers), so it runs under the CSP `script-src 'self'` and keeps
// working after htmx swaps parts of the page. Loaded at the end of the
// builder page.
(function () {
  "use strict";

  // Validation errors come back as 422 with the builder re-rendered: swap
  // them in like a success (htmx 2 leaves 4xx responses unswapped).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

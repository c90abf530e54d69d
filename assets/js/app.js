// AgencyFlow page script. Plain JS, no dependencies, no eval, so it runs under a
// strict Content-Security-Policy (script-src 'self').
//
// CSRF: the server checks Origin / Sec-Fetch-Site and also wants a token header
// on every state-changing request. htmx sends its requests itself, so we add
// the header here for all of them, reading the token from
//   <meta name="csrf-token" content="...">
// on each request rather than once, so a token swapped in by a boosted
// navigation (which can replace <head>) is the one sent.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var token = meta && meta.getAttribute("content");
    if (token) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });
})();

// Selects marked data-autosubmit (the workspace switcher) submit their form
// on change; a <noscript> button covers browsers without JS.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });
})();

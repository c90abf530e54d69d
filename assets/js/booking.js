// Booking pages (/book/...): the page works without JS through query
// parameters (?month=&day=&tz=). This only makes it nicer: on a first
// visit it switches the times to the visitor's own zone (the browser's
// Intl zone, when the picker knows it), and the zone picker applies on
// change. No eval, no inline handlers: it runs under `script-src 'self'`.
(function () {
  "use strict";
  var sel = document.querySelector("select[data-af-tz]");
  if (!sel || !sel.form) return;
  var form = sel.form;
  sel.addEventListener("change", function () { form.submit(); });
  if (!sel.hasAttribute("data-af-detect")) return;
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz = ""; }
  if (!tz || tz === sel.value) return;
  var known = false;
  for (var i = 0; i < sel.options.length; i++) {
    if (sel.options[i].value === tz) { known = true; break; }
  }
  if (!known) return;
  var params = new URLSearchParams(window.location.search);
  params.set("tz", tz);
  window.location.replace(window.location.pathname + "?" + params.toString());
})();

// Calendars area: adds and removes rows of the calendar editor's repeated
// fields (weekly windows, date overrides, reminders, a host's own hours),
// suggests the slug from the name, copies public links, and asks before
// deleting or cancelling. Plain JS under the CSP `script-src 'self'`:
// without it the editor still posts the rows it shows.
(function () {
  "use strict";

  // Rows: a [data-rows] list of [data-row]s with a [data-add] button after
  // it; every row has a [data-remove] button.
  function clearRow(row) {
    Array.prototype.forEach.call(row.querySelectorAll("input"), function (i) {
      if (i.type === "checkbox") i.checked = false; else i.value = "";
    });
  }
  function wire(row) {
    var rm = row.querySelector("[data-remove]");
    if (!rm) return;
    rm.classList.remove("hidden");
    rm.addEventListener("click", function () {
      var list = row.parentNode;
      if (list.querySelectorAll("[data-row]").length > 1) list.removeChild(row);
      else clearRow(row);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-rows]"), function (list) {
    Array.prototype.forEach.call(list.querySelectorAll("[data-row]"), wire);
    var add = list.parentNode.querySelector("[data-add]");
    if (!add) return;
    add.classList.remove("hidden");
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll("[data-row]");
      var last = rows[rows.length - 1];
      if (!last) return;
      var copy = last.cloneNode(true);
      clearRow(copy);
      list.appendChild(copy);
      wire(copy);
      var first = copy.querySelector("input");
      if (first) first.focus();
    });
  });

  // The slug follows the name until it is typed by hand (new calendars).
  var name = document.getElementById("cal-name");
  var slug = document.getElementById("cal-slug");
  if (name && slug && slug.getAttribute("data-auto") === "1") {
    var slugify = function (t) {
      return t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
        .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60).replace(/-+$/, "");
    };
    var touched = false;
    slug.addEventListener("input", function () { touched = true; });
    name.addEventListener("input", function () { if (!touched) slug.value = slugify(name.value); });
  }

  // Copy buttons of the public links.
  var status = document.getElementById("cal-status");
  Array.prototype.forEach.call(document.querySelectorAll(".af-copy"), function (b) {
    if (!navigator.clipboard) return;
    b.classList.remove("hidden");
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(b.getAttribute("data-copy") || "").then(function () {
        if (status) status.textContent = b.getAttribute("data-copied") || "";
      });
    });
  });

  // Forms that ask first (delete a calendar, cancel an appointment).
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f && f.getAttribute && f.getAttribute("data-cal-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();

// Contacts area behaviour. Plain JS with event delegation (no eval, no inline
// handlers), so it runs under the CSP `script-src 'self'` and keeps working
// after htmx swaps parts of the page. Loaded at the end of the contacts pages.
(function () {
  "use strict";

  // Validation errors come back as 422 with the form re-rendered: swap them
  // in like a success (htmx 2 leaves 4xx responses unswapped by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function rowBoxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll("input[data-row-select]")
    );
  }

  // Shows how many rows are selected and enables the bulk buttons only when
  // there is a selection.
  function refreshSelection() {
    var boxes = rowBoxes();
    var n = boxes.filter(function (b) { return b.checked; }).length;
    var all = document.querySelector("input[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    var count = document.querySelector("[data-selected-count]");
    if (count) { count.textContent = String(n); }
    document.querySelectorAll("[data-needs-selection]").forEach(function (b) {
      b.disabled = n === 0;
    });
  }

  // Only the parameter the chosen bulk action needs is shown.
  function refreshBulkParams() {
    var action = document.querySelector("select[data-bulk-action]");
    if (!action) { return; }
    document.querySelectorAll("[data-bulk-param]").forEach(function (el) {
      var wanted = el.getAttribute("data-bulk-param").split(" ");
      el.hidden = wanted.indexOf(action.value) < 0;
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || !el.matches) { return; }
    if (el.matches("input[data-select-all]")) {
      rowBoxes().forEach(function (b) { b.checked = el.checked; });
      refreshSelection();
    } else if (el.matches("input[data-row-select]")) {
      refreshSelection();
    } else if (el.matches("select[data-bulk-action]")) {
      refreshBulkParams();
    }
  });

  // Inline edits: Escape cancels (clicks the field's cancel button).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) { return; }
    var form = event.target.closest("form[data-inline-edit]");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) { cancel.click(); }
  });

  // Forms marked data-confirm ask before submitting (erase, delete field).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var msg = form && form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("htmx:afterSettle", refreshSelection);
  document.addEventListener("DOMContentLoaded", function () {
    refreshSelection();
    refreshBulkParams();
  });
})();

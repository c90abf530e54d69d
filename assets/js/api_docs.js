// API reference (/api/docs): copy buttons for the cURL examples. The page
// works without this script; it only reveals and wires the buttons.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  Array.prototype.forEach.call(document.querySelectorAll("article .af-copy"), function (b) {
    if (!navigator.clipboard) return;
    var pre = b.closest("article").querySelector(".af-curl");
    if (!pre) return;
    b.classList.remove("hidden");
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent || "").then(function () {
        if (status) status.textContent = b.getAttribute("data-copied") || "";
      });
    });
  });
})();

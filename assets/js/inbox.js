// The inbox (Conversaciones). Everything here is an enhancement: the list,
// the thread, replies, assignment and notes are server-rendered pages and
// plain forms.
//
// - Live: an EventSource on /conversations/events. A `conversation` event
//   names a contact; the list is reloaded (keeping the filters), and the
//   open thread too when it is that contact's (reading it marks it read).
//   `resync` reloads both. The nav badge follows the list's unread rows.
// - Filters submit themselves when a select or checkbox changes.
// - The reply form shows only what its channel uses (subject and files for
//   email, template and quiet-hours override for WhatsApp / SMS) and
//   inserts merge fields at the cursor.
(function () {
  "use strict";
  var root = document.querySelector("[data-inbox]");
  if (!root) return;
  var openThread = root.getAttribute("data-open-thread") || "";
  var query = root.getAttribute("data-query") || "";

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) fn(list[i]);
  }

  each(root.querySelectorAll("[data-autosubmit]"), function (el) {
    el.addEventListener("change", function () {
      if (el.form) el.form.requestSubmit();
    });
  });

  var thread = document.getElementById("thread-messages");
  function scrollToEnd() {
    if (thread) thread.scrollTop = thread.scrollHeight;
  }
  scrollToEnd();

  function fetchInto(url, el, after) {
    if (!el) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (r.redirected) {
          window.location.assign(r.url);
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        el.innerHTML = html;
        if (after) after();
      })
      .catch(function () {});
  }

  function reloadList() {
    var url = "/conversations/list?" + query + (query ? "&" : "") + "selected=" + encodeURIComponent(openThread);
    fetchInto(url, document.getElementById("conversation-list"), updateBadge);
  }

  function reloadThread() {
    if (!openThread || !thread) return;
    var nearEnd = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
    fetchInto("/conversations/" + openThread + "/thread", thread, function () {
      if (nearEnd) scrollToEnd();
    });
  }

  function updateBadge() {
    var n = document.querySelectorAll("#conversation-list [data-unread]").length;
    each(document.querySelectorAll("[data-nav-badge]"), function (el) {
      if (n === 0) el.classList.add("hidden");
      else {
        el.classList.remove("hidden");
        el.firstChild.nodeValue = String(n);
      }
    });
  }

  if (typeof EventSource !== "undefined") {
    var source = new EventSource("/conversations/events");
    source.addEventListener("conversation", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      reloadList();
      if (data.contact_id === openThread) reloadThread();
    });
    source.addEventListener("resync", function () {
      reloadList();
      reloadThread();
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  var form = document.querySelector("[data-reply]");
  if (!form) return;
  var channel = form.querySelector("[data-reply-channel]");
  function showFor() {
    var c = channel ? channel.value : "";
    each(form.querySelectorAll("[data-show-for]"), function (el) {
      var wanted = el.getAttribute("data-show-for").split(" ");
      el.classList.toggle("hidden", wanted.indexOf(c) < 0);
    });
  }
  if (channel) channel.addEventListener("change", showFor);
  showFor();
  var body = form.querySelector("[data-reply-body]");
  var field = form.querySelector("[data-merge-field]");
  if (field && body) {
    field.addEventListener("change", function () {
      var text = field.value;
      if (!text) return;
      var start = body.selectionStart || 0;
      var end = body.selectionEnd || 0;
      body.value = body.value.slice(0, start) + text + body.value.slice(end);
      body.focus();
      body.selectionStart = body.selectionEnd = start + text.length;
      field.value = "";
    });
  }
  // Ctrl/Cmd + Enter sends.
  if (body) {
    body.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
  }
})();

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

// The navigation drawer below 1024 px: the menu button opens it, the close
// button, the backdrop or Escape close it, and focus goes to the drawer and
// back to the button so keyboard users are never left behind it. (Above
// 1024 px the navigation is always shown and these controls are hidden.)
(function () {
  "use strict";
  function parts() {
    return {
      nav: document.getElementById("app-nav"),
      button: document.querySelector("[data-nav-open]"),
      backdrop: document.querySelector("[data-nav-backdrop]"),
    };
  }
  function setOpen(open) {
    var p = parts();
    if (!p.nav || !p.button || !p.backdrop) return;
    if (open) {
      p.nav.setAttribute("data-open", "");
      p.backdrop.classList.remove("hidden");
      p.button.setAttribute("aria-expanded", "true");
      var close = p.nav.querySelector("[data-nav-close]");
      if (close) close.focus();
    } else {
      p.nav.removeAttribute("data-open");
      p.backdrop.classList.add("hidden");
      p.button.setAttribute("aria-expanded", "false");
      p.button.focus();
    }
  }
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest
      ? event.target.closest("[data-nav-open], [data-nav-close], [data-nav-backdrop]")
      : null;
    if (el) setOpen(el.hasAttribute("data-nav-open"));
  });
  document.addEventListener("keydown", function (event) {
    var nav = document.getElementById("app-nav");
    if (event.key === "Escape" && nav && nav.hasAttribute("data-open")) setOpen(false);
  });
})();

// "/" focuses the search box (the header's, or the one on /search), unless
// the person is typing somewhere already. On a phone, where the header box
// is hidden, it opens /search.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var boxes = document.querySelectorAll("[data-global-search]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].offsetParent !== null) {
        event.preventDefault();
        boxes[i].focus();
        return;
      }
    }
    if (document.getElementById("app-nav")) {
      event.preventDefault();
      window.location.assign("/search");
    }
  });
})();

// The bell (both headers: the phone bar and the laptop header). The badge
// is rendered with the page; an EventSource on /notifications/events keeps
// it current (an `unread` event carries {"count": n}) and reloads an open
// dropdown. The button opens a dropdown whose content comes from
// /notifications/menu; Escape or a click elsewhere closes it and focus
// returns to the button. Every item and "mark all read" are plain forms, so
// the bell works without this script too (through /notifications).
(function () {
  "use strict";
  var bells = document.querySelectorAll("[data-bell]");
  if (!bells.length) return;
  function each(list, fn) {
    for (var i = 0; i < list.length; i++) fn(list[i]);
  }
  function setCount(n) {
    each(document.querySelectorAll("[data-bell-count]"), function (el) {
      el.textContent = String(n);
    });
    each(document.querySelectorAll("[data-bell-badge]"), function (el) {
      el.classList.toggle("hidden", !(n > 0));
    });
  }
  function load(menu) {
    var next = window.location.pathname + window.location.search;
    fetch("/notifications/menu?next=" + encodeURIComponent(next), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (r) {
        // Signed out meanwhile: the answer is the login page, so go there.
        if (r.redirected) {
          window.location.assign(r.url);
          return "";
        }
        return r.ok ? r.text() : "";
      })
      .then(function (html) {
        if (html) {
          menu.innerHTML = html;
          menu.setAttribute("data-loaded", "");
        }
      })
      .catch(function () {});
  }
  function setOpen(bell, open, focusButton) {
    var button = bell.querySelector("[data-bell-button]");
    var menu = bell.querySelector("[data-bell-menu]");
    if (!button || !menu) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("hidden", !open);
    if (open) {
      load(menu);
    } else {
      menu.removeAttribute("data-loaded");
      if (focusButton) button.focus();
    }
  }
  function isOpen(bell) {
    var button = bell.querySelector("[data-bell-button]");
    return button && button.getAttribute("aria-expanded") === "true";
  }
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-bell-button]") : null;
    each(bells, function (bell) {
      if (button && bell.contains(button)) {
        setOpen(bell, !isOpen(bell), false);
      } else if (isOpen(bell) && !bell.contains(event.target)) {
        setOpen(bell, false, false);
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    each(bells, function (bell) {
      if (isOpen(bell)) setOpen(bell, false, true);
    });
  });
  if (typeof EventSource !== "undefined") {
    var source = new EventSource("/notifications/events");
    source.addEventListener("unread", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      setCount(data.count);
      each(bells, function (bell) {
        if (isOpen(bell)) load(bell.querySelector("[data-bell-menu]"));
      });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
})();

// The kanban board (templates/board/board.html). Plain JS, no eval and no
// inline scripts, so it runs under the CSP (script-src 'self'); everything it
// needs comes from data- attributes:
//   #board[data-board]        data-pipeline-id, data-events-url, data-summary-url,
//                             data-msg-* (translated messages)
//   ul[data-cards]            one per column, data-stage-id; cards are
//                             li[data-deal-id][data-position]
//   #more-{stage}[data-more]  the column's "load more" sentinel (htmx)
//
// Drag & drop (SortableJS): on drop, POST /deals/{id}/move with the target
// stage and the ids of the cards just above (after) and below (before); the
// server persists it in one transaction. On failure the card goes back and a
// message shows.
//
// Live: an EventSource on /pipelines/{id}/events. A `deal` event names the
// deal, its stage and position; the card is re-fetched as HTML
// (/deals/{id}/card) and put in its place, and the column headers are
// refreshed from /pipelines/{id}/summary.
//
// Keyboard: cards are focusable (tabindex=0). Enter or Space opens the deal
// drawer; Alt+Left / Alt+Right moves the card to the neighbouring column
// through the same POST as a drop.
//
// Deal drawer: dialog#deal-drawer[data-deal-drawer] (a modal <dialog>, so
// focus stays inside and Escape closes it), filled by htmx from
// /deals/{id}/panel. Its forms answer with the panel again and an
// `af-deal-changed` event (HX-Trigger) naming the deal's stage and
// position, which re-renders the card like a live event. On close, focus
// returns to the card.
//
// Phones (below 640 px): one column at a time (CSS scroll-snap); the
// select[data-stage-jump] scrolls to the chosen column and follows swipes.
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board) {
    return;
  }

  var pending = {}; // deal id -> true while our own move is in flight
  var dragging = false;
  var lastDrop = 0; // a click right after a drop is the drop, not a click
  var focusWhenBack = null; // deal id whose card gets focus once re-rendered
  var deferred = []; // live events that arrived during a drag
  var liveQueue = Promise.resolve();
  var messageTimer = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function showMessage(text) {
    var box = board.querySelector("[data-board-message]");
    if (!box || !text) {
      return;
    }
    box.textContent = text;
    box.classList.remove("hidden");
    if (messageTimer) {
      clearTimeout(messageTimer);
    }
    messageTimer = setTimeout(function () {
      box.classList.add("hidden");
    }, 8000);
  }

  function cardsOf(list) {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.hasAttribute("data-deal-id");
    });
  }

  function siblingCard(el, forward) {
    var s = forward ? el.nextElementSibling : el.previousElementSibling;
    while (s && !s.hasAttribute("data-deal-id")) {
      s = forward ? s.nextElementSibling : s.previousElementSibling;
    }
    return s;
  }

  function findCard(id) {
    return board.querySelector('li[data-deal-id="' + id + '"]');
  }

  function listOf(stageId) {
    return document.getElementById("cards-" + stageId);
  }

  // Column headers -------------------------------------------------------

  function applySummary(summary) {
    if (!summary || !summary.stages) {
      return;
    }
    Object.keys(summary.stages).forEach(function (stageId) {
      var col = board.querySelector('section[data-stage-id="' + stageId + '"]');
      if (!col) {
        return;
      }
      var s = summary.stages[stageId];
      var count = col.querySelector("[data-count]");
      var total = col.querySelector("[data-total]");
      if (count) {
        count.textContent = s.count;
      }
      if (total) {
        total.textContent = s.total;
      }
    });
  }

  var summaryTimer = null;
  function refreshSummary() {
    if (summaryTimer) {
      clearTimeout(summaryTimer);
    }
    // Coalesce a burst of events into one request.
    summaryTimer = setTimeout(function () {
      summaryTimer = null;
      fetch(board.dataset.summaryUrl, { headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(applySummary)
        .catch(function () {});
    }, 100);
  }

  // Cards as HTML ---------------------------------------------------------

  function fetchCard(id) {
    return fetch("/deals/" + encodeURIComponent(id) + "/card").then(function (r) {
      if (r.status === 404) {
        return null;
      }
      if (!r.ok) {
        throw new Error("card " + r.status);
      }
      return r.text().then(function (html) {
        var t = document.createElement("template");
        t.innerHTML = html.trim();
        return t.content.querySelector("li[data-deal-id]");
      });
    });
  }

  // True when card `el` sorts after (position, id).
  function sortsAfter(el, position, id) {
    var p = parseFloat(el.getAttribute("data-position"));
    var i = el.getAttribute("data-deal-id");
    return p > position || (p === position && i > id);
  }

  // Puts `card` in `list` at its place; false when that place is below the
  // loaded part of a column that has more to load (it will come on scroll).
  function placeCard(list, card, position, id) {
    var cards = cardsOf(list);
    for (var i = 0; i < cards.length; i++) {
      if (cards[i] !== card && sortsAfter(cards[i], position, id)) {
        list.insertBefore(card, cards[i]);
        return true;
      }
    }
    var more = document.getElementById("more-" + list.getAttribute("data-stage-id"));
    if (more && more.hasAttribute("data-more")) {
      return false;
    }
    list.appendChild(card);
    return true;
  }

  function applyLive(ev) {
    var id = ev.deal_id;
    return fetchCard(id).then(
      function (card) {
        var old = findCard(id);
        if (!card) {
          if (old) {
            old.remove();
          }
          return;
        }
        var list = listOf(ev.to_stage);
        // A re-rendered card keeps the keyboard focus it had (or was owed
        // by the drawer closing while it was being replaced).
        var refocus = (old && old === document.activeElement) || focusWhenBack === id;
        if (old) {
          old.remove();
        }
        if (list && placeCard(list, card, ev.position, id) && refocus && !(drawer && drawer.open)) {
          focusWhenBack = null;
          card.focus();
        }
      },
      function () {
        showMessage(board.dataset.msgResynced);
      }
    );
  }

  function onLive(ev) {
    if (pending[ev.deal_id]) {
      // Our own move: the POST answer is the truth for this tab.
      return;
    }
    if (dragging) {
      deferred.push(ev);
      return;
    }
    liveQueue = liveQueue.then(function () {
      return applyLive(ev);
    });
    refreshSummary();
  }

  // Drag & drop -----------------------------------------------------------

  function revert(item, from, oldIndex) {
    item.remove();
    var cards = cardsOf(from);
    from.insertBefore(item, cards[oldIndex] || null);
  }

  function onDrop(evt) {
    dragging = false;
    lastDrop = Date.now();
    var item = evt.item;
    var from = evt.from;
    var to = evt.to;
    var flush = deferred;
    deferred = [];
    if (from === to && evt.oldIndex === evt.newIndex) {
      flush.forEach(onLive);
      return;
    }
    var id = item.getAttribute("data-deal-id");
    var above = siblingCard(item, false);
    var below = siblingCard(item, true);
    postMove(
      item,
      to.getAttribute("data-stage-id"),
      above ? above.getAttribute("data-deal-id") : "",
      below ? below.getAttribute("data-deal-id") : "",
      function () {
        if (from !== to) {
          // Fresh "time in stage".
          return fetchCard(id).then(function (card) {
            if (card && item.parentNode) {
              item.parentNode.replaceChild(card, item);
            }
          });
        }
      },
      function () {
        revert(item, from, evt.oldIndex);
        showMessage(board.dataset.msgMoveFailed);
      }
    ).then(function () {
      flush.forEach(onLive);
    });
  }

  // The one move request, for a drop and for a keyboard move: the card is
  // busy while it travels and freed whatever the answer; `moved` runs with
  // the server's answer, `failed` when the move was refused or lost.
  function postMove(card, stageId, afterId, beforeId, moved, failed) {
    var id = card.getAttribute("data-deal-id");
    var body = new URLSearchParams();
    body.set("stage_id", stageId);
    body.set("after", afterId);
    body.set("before", beforeId);
    pending[id] = true;
    card.setAttribute("aria-busy", "true");
    return fetch("/deals/" + encodeURIComponent(id) + "/move", {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
      body: body,
    })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("move " + r.status);
        }
        return r.json();
      })
      .then(function (answer) {
        card.setAttribute("data-position", String(answer.position));
        applySummary(answer.summary);
        return moved(answer);
      })
      .catch(failed)
      .then(function () {
        var busy = findCard(id);
        if (busy) {
          busy.removeAttribute("aria-busy");
        }
        delete pending[id];
      });
  }

  function makeSortable(list) {
    if (list.getAttribute("data-sortable") === "on" || typeof Sortable === "undefined") {
      return;
    }
    list.setAttribute("data-sortable", "on");
    Sortable.create(list, {
      group: "board",
      draggable: "li[data-deal-id]",
      animation: 150,
      ghostClass: "opacity-40",
      // On touch screens a drag starts after a short press, so a swipe
      // scrolls between columns instead of grabbing a card.
      delay: 250,
      delayOnTouchOnly: true,
      onStart: function () {
        dragging = true;
      },
      onEnd: onDrop,
    });
  }

  Array.prototype.forEach.call(board.querySelectorAll("ul[data-cards]"), makeSortable);

  // Keyboard moves ----------------------------------------------------------

  function columnLists() {
    return Array.prototype.slice.call(board.querySelectorAll("ul[data-cards]"));
  }

  // Alt+Left / Alt+Right: the card goes on top of the neighbouring column,
  // through the same POST as a drop; focus stays on it.
  function moveByKeyboard(card, step) {
    var lists = columnLists();
    var from = card.parentNode;
    var to = lists[lists.indexOf(from) + step];
    var id = card.getAttribute("data-deal-id");
    if (!to || pending[id]) {
      return;
    }
    var first = cardsOf(to)[0];
    postMove(
      card,
      to.getAttribute("data-stage-id"),
      "",
      first ? first.getAttribute("data-deal-id") : "",
      function () {
        to.insertBefore(card, cardsOf(to)[0] || to.firstChild);
        card.focus();
        showColumn(to.getAttribute("data-stage-id"));
        return fetchCard(id).then(function (fresh) {
          if (fresh && card.parentNode) {
            card.parentNode.replaceChild(fresh, card);
            fresh.focus();
          }
        });
      },
      function () {
        showMessage(board.dataset.msgMoveFailed);
      }
    );
  }

  // Deal drawer -----------------------------------------------------------

  var drawer = board.querySelector("[data-deal-drawer]");
  var panel = document.getElementById("deal-panel");
  var openId = null;
  var focusTitle = false;

  function openDrawer(id) {
    if (!drawer || !panel || typeof htmx === "undefined") {
      return;
    }
    openId = id;
    var loading = document.createElement("p");
    loading.className = "p-6 text-sm text-slate-500";
    loading.textContent = drawer.dataset.msgLoading || "";
    panel.replaceChildren(loading);
    if (!drawer.open) {
      drawer.showModal();
    }
    focusTitle = true;
    drawer.removeAttribute("data-ready");
    htmx.ajax("GET", "/deals/" + encodeURIComponent(id) + "/panel", { target: "#deal-panel", swap: "innerHTML" });
  }

  if (drawer && panel) {
    // htmx binds the panel's forms when the swap settles, so only then is
    // the drawer usable: move focus to its title (on opening) and mark it
    // ready (data-ready, which the browser tests wait for).
    panel.addEventListener("htmx:afterSettle", function (e) {
      if (e.target !== panel || !drawer.open) {
        return;
      }
      drawer.setAttribute("data-ready", "");
      var title = document.getElementById("deal-panel-title");
      if (focusTitle && title) {
        focusTitle = false;
        title.focus();
      }
    });
    drawer.addEventListener("close", function () {
      var id = openId;
      openId = null;
      focusTitle = false;
      drawer.removeAttribute("data-ready");
      panel.replaceChildren();
      var card = id && findCard(id);
      if (card) {
        card.focus();
      }
      // A change made in the drawer may still be re-rendering the card:
      // focus it when it lands, if that is soon (later live news of this
      // deal must not steal the focus from wherever the user went).
      focusWhenBack = id;
      setTimeout(function () {
        if (focusWhenBack === id) {
          focusWhenBack = null;
        }
      }, 2000);
    });
    drawer.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("[data-drawer-close]")) {
        drawer.close();
        return;
      }
      // A click on the backdrop lands on the dialog itself, outside its box.
      if (e.target === drawer) {
        var r = drawer.getBoundingClientRect();
        var inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
        if (!inside) {
          drawer.close();
        }
      }
    });
  }

  function cardFrom(target) {
    var card = target && target.closest ? target.closest("li[data-deal-id]") : null;
    return card && board.contains(card) && !(drawer && drawer.contains(card)) ? card : null;
  }

  board.addEventListener("click", function (e) {
    var card = cardFrom(e.target);
    if (!card || dragging || Date.now() - lastDrop < 400) {
      return;
    }
    openDrawer(card.getAttribute("data-deal-id"));
  });

  board.addEventListener("keydown", function (e) {
    var card = cardFrom(e.target);
    if (!card || e.target !== card) {
      return;
    }
    if ((e.key === "Enter" || e.key === " ") && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      openDrawer(card.getAttribute("data-deal-id"));
    } else if (e.altKey && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      e.preventDefault();
      moveByKeyboard(card, e.key === "ArrowLeft" ? -1 : 1);
    }
  });

  // A change made in the drawer: re-render the card where it now belongs,
  // as for a live event (which other boards receive for the same change).
  document.addEventListener("af-deal-changed", function (e) {
    var d = e.detail || {};
    if (!d.deal_id || !d.stage_id) {
      return;
    }
    onLive({ deal_id: d.deal_id, to_stage: d.stage_id, position: Number(d.position) || 0 });
  });

  // Phones: one column at a time ------------------------------------------

  var strip = board.querySelector("[data-columns]");
  var jump = board.querySelector("[data-stage-jump]");

  function showColumn(stageId) {
    if (!strip) {
      return;
    }
    var col = strip.querySelector('section[data-stage-id="' + stageId + '"]');
    if (!col) {
      return;
    }
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var left = strip.scrollLeft + col.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    strip.scrollTo({ left: left, behavior: reduce ? "auto" : "smooth" });
    if (jump) {
      jump.value = stageId;
    }
  }

  if (strip && jump) {
    jump.addEventListener("change", function () {
      showColumn(jump.value);
    });
    var syncTimer = null;
    strip.addEventListener("scroll", function () {
      if (syncTimer) {
        clearTimeout(syncTimer);
      }
      // After a swipe settles, the picker names the column in view.
      syncTimer = setTimeout(function () {
        var base = strip.getBoundingClientRect().left;
        var best = null;
        var bestDist = Infinity;
        Array.prototype.forEach.call(strip.querySelectorAll("section[data-stage-id]"), function (col) {
          var d = Math.abs(col.getBoundingClientRect().left - base);
          if (d < bestDist) {
            bestDist = d;
            best = col;
          }
        });
        if (best && document.activeElement !== jump) {
          jump.value = best.getAttribute("data-stage-id");
        }
      }, 120);
    });
  }

  // htmx ------------------------------------------------------------------

  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (target && target.matches && target.matches("ul[data-cards]")) {
      // A page can repeat a card that a move placed in the loaded part.
      var seen = {};
      cardsOf(target).forEach(function (el) {
        var id = el.getAttribute("data-deal-id");
        if (seen[id]) {
          el.remove();
        } else {
          seen[id] = true;
        }
      });
    }
  });

  // The new-deal form answers 422 with itself and its errors: show it.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // Live updates ----------------------------------------------------------

  if (typeof EventSource !== "undefined" && board.dataset.eventsUrl) {
    var source = new EventSource(board.dataset.eventsUrl);
    var lost = false;
    source.addEventListener("deal", function (e) {
      try {
        onLive(JSON.parse(e.data));
      } catch (err) {
        // A malformed event changes nothing on the board.
      }
    });
    source.addEventListener("resync", function () {
      refreshSummary();
      showMessage(board.dataset.msgResynced);
    });
    source.addEventListener("open", function () {
      board.setAttribute("data-live", "on");
      if (lost) {
        lost = false;
        refreshSummary();
        showMessage(board.dataset.msgResynced);
      }
    });
    source.addEventListener("error", function () {
      board.setAttribute("data-live", "off");
      lost = true;
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }
})();

// Optional: refreshes the status page (its #main) or the embed widget (its
// script tag says data-swap="a.w") every 60 seconds while it is visible, in
// place of <meta http-equiv="refresh">, which reloads under a reader and
// fails WCAG 2.2.1. Pages work fully without it. No inline script; loaded
// with defer.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) return;
  var script = document.currentScript;
  var SWAP = (script && script.getAttribute("data-swap")) || "#main";
  var EVERY = 60000;
  var etag = null;
  var timer = 0;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(tick, EVERY);
  }

  function openDetails(root) {
    var open = {};
    var list = root.querySelectorAll("details[data-k]");
    for (var i = 0; i < list.length; i++) {
      open[list[i].getAttribute("data-k")] = list[i].open;
    }
    return open;
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.querySelector(SWAP);
    var cur = document.querySelector(SWAP);
    if (!next || !cur) return;
    // Keep what the reader opened or closed, and their focus if it was inside
    // (on the swapped element itself only when it takes focus by itself, as
    // the embed's link does: #main is focused by the skip link).
    var open = openDetails(cur);
    var f = document.activeElement;
    var hadFocus = cur.contains(f) && (f !== cur || cur.tabIndex >= 0);
    if (hadFocus) return; // never move content under a keyboard user; try next time
    var sel = window.getSelection && window.getSelection();
    if (sel && !sel.isCollapsed && cur.contains(sel.anchorNode)) return;
    var node = document.importNode(next, true);
    var list = node.querySelectorAll("details[data-k]");
    for (var i = 0; i < list.length; i++) {
      var k = list[i].getAttribute("data-k");
      if (Object.prototype.hasOwnProperty.call(open, k)) list[i].open = open[k];
    }
    cur.parentNode.replaceChild(node, cur);
    if (doc.title) document.title = doc.title;
  }

  function tick() {
    if (document.hidden) { schedule(); return; }
    fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin",
      cache: "no-cache",
      headers: { "Accept": "text/html" }
    }).then(function (r) {
      if (!r.ok) return null;
      var tag = r.headers.get("ETag");
      if (tag && tag === etag) return null;
      etag = tag;
      return r.text();
    }).then(function (html) {
      if (html) swap(html);
    }).catch(function () {
      // offline or server busy: keep what is shown, try again later
    }).then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule();
  });
  schedule();
})();

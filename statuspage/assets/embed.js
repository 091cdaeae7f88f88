// Refreshes the embed widget every 60 seconds while it is visible, in
// place of <meta http-equiv="refresh"> (which reloads under a reader and
// fails WCAG 2.2.1): it fetches the widget again and swaps the link only
// when the page changed and the link does not have focus. Without
// JavaScript the widget simply stays as loaded.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) return;
  var EVERY = 60000;
  var etag = null;
  var timer = 0;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(tick, EVERY);
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.querySelector("a.w");
    var cur = document.querySelector("a.w");
    if (!next || !cur || document.activeElement === cur) return;
    cur.parentNode.replaceChild(document.importNode(next, true), cur);
    if (doc.title) document.title = doc.title;
  }

  function tick() {
    if (document.hidden) { schedule(); return; }
    fetch(window.location.pathname, { credentials: "omit", cache: "no-cache", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok) return null;
        var tag = r.headers.get("ETag");
        if (tag && tag === etag) return null;
        etag = tag;
        return r.text();
      })
      .then(function (html) { if (html) swap(html); })
      .catch(function () { /* offline: keep what is shown */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule();
  });
  schedule();
})();

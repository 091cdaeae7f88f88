// Live refresh, optional: a page whose <main> has data-refresh="N" reloads
// its main content every N seconds while the tab is visible and nobody is
// typing in it. Without this script every page works the same, reloaded by
// hand.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !window.fetch || !window.DOMParser) return;
  var every = parseInt(main.getAttribute("data-refresh"), 10);
  if (!(every >= 5)) return;
  var dirty = false;
  main.addEventListener("input", function () { dirty = true; });
  function busy() {
    var a = document.activeElement;
    return dirty || document.hidden || (a && main.contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName));
  }
  function refresh() {
    if (busy()) return;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (!html || busy()) return;
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (next) main.innerHTML = next.innerHTML;
      })
      .catch(function () {});
  }
  setInterval(refresh, every * 1000);
})();

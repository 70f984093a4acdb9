// The quick-exit control on every page: leave for a neutral page at once, replacing this
// page in the browser's history (so "back" does not return to it), and end the session so
// that nothing stays open on the device. It also forgets what Chorus kept in this browser's
// storage (the ledger head the member's browser checks against), which would show that Chorus
// was used here; the next visit starts the ledger check afresh. Escape pressed twice within a
// second does the same.
// Without JavaScript the control is an ordinary link to the neutral page.
(function () {
  "use strict";
  var link = document.querySelector("a[data-quick-exit]");
  if (!link) { return; }

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.documentElement.hidden = true;
    try {
      for (var index = window.localStorage.length - 1; index >= 0; index -= 1) {
        var key = window.localStorage.key(index);
        if (key && key.indexOf("chorus.") === 0) { window.localStorage.removeItem(key); }
      }
    } catch (ignored) { /* storage may be disabled; leaving matters more */ }
    var end = link.getAttribute("data-end");
    if (end && navigator.sendBeacon) {
      var data = new FormData();
      // Every page carries a form (the language switcher at least) with the CSRF token.
      var token = document.querySelector("input[name=csrfmiddlewaretoken]");
      data.append("csrfmiddlewaretoken", token ? token.value : "");
      navigator.sendBeacon(end, data);
    }
    window.location.replace(link.href);
  }

  link.addEventListener("click", leave);
  var last = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - last < 1000) { leave(event); }
    last = now;
  });
}());

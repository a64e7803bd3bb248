// Check-in screen enhancement (the page works without it): keep the scan input focused so a
// USB or phone scanner can scan ticket after ticket, unless someone is typing elsewhere.
(function () {
  "use strict";
  var input = document.querySelector("#scan-form input[name=code]");
  if (!input) { return; }
  function refocus() {
    var active = document.activeElement;
    if (!active || active === document.body) { input.focus(); }
  }
  window.addEventListener("focus", refocus);
  document.addEventListener("click", function () { window.setTimeout(refocus, 0); });
  input.focus();
})();

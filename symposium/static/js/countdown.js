// The join page before its link opens (an enhancement: without it the page shows the time in
// the event's timezone and its UTC offset, and a rounded time left). Fills in the opening time
// in the visitor's own timezone, counts down every second and reloads the page when the link
// opens (the join link then leads to the meeting).
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var box = document.querySelector(".join-countdown");
  if (!box) { return; }
  var opens = new Date(box.dataset.opens);
  if (isNaN(opens.getTime())) { return; }
  var locale = box.dataset.locale || document.documentElement.lang;

  var local = document.querySelector("[data-local-time]");
  if (local) {
    try {
      local.textContent = new Intl.DateTimeFormat(locale, {
        weekday: "long", year: "numeric", month: "long", day: "numeric",
        hour: "numeric", minute: "2-digit", timeZoneName: "short"
      }).format(opens);
      document.querySelectorAll(".join-local").forEach(function (el) { el.hidden = false; });
    } catch (e) { /* an unknown locale: keep the event's time only */ }
  }

  var two = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false });
  var one = new Intl.NumberFormat(locale, { useGrouping: false });
  var template = box.dataset.template || "%(time)s";
  var reloaded = false;

  function tick() {
    var left = Math.round((opens.getTime() - Date.now()) / 1000);
    if (left <= 0) {
      if (!reloaded) { reloaded = true; window.location.reload(); }
      return;
    }
    if (left > 48 * 3600) { return; } // days away: the rounded server text says it better
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    var text = one.format(h) + ":" + two.format(m) + ":" + two.format(s);
    box.textContent = template.replace("%(time)s", "\u2066" + text + "\u2069");
  }
  tick();
  window.setInterval(tick, 1000);
})();

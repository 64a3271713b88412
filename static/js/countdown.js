/* Countdown on the customer's page: "mm:ss" until each <time class="countdown">.
 * The server's clock is the reference (data-now), so a phone with a wrong clock
 * still counts right. Without JavaScript the page shows the deadline as a time. */
(function () {
  "use strict";
  var skew = null;

  function tick() {
    var items = document.querySelectorAll("time.countdown[datetime]");
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      if (skew === null && el.dataset.now) skew = Date.parse(el.dataset.now) - Date.now();
      var left = Math.max(0, Date.parse(el.getAttribute("datetime")) - (Date.now() + (skew || 0)));
      var s = Math.floor(left / 1000);
      el.textContent = left > 0
        ? "(" + Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2) + ")"
        : el.dataset.done || "";
    }
  }
  document.addEventListener("DOMContentLoaded", tick);
  setInterval(tick, 1000);
})();

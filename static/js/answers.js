/* An answer finds its place even when the live stream redrew it meanwhile.
 *
 * htmx settles where an answer goes when the request leaves. On a page the server also
 * redraws live (server-sent events), the stream's echo of a tap can arrive before the tap's
 * own answer and replace the element that answer was meant for; the answer would then be
 * swapped into an element no longer on the page, and the person would never see it ("Thank
 * you! The picker has your answer", a pickup code). When the answer is complete, and before
 * htmx reads it, an answer whose target has left the page goes to the element that now
 * carries the same id. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var info = event.detail, xhr = info && info.xhr;
    if (!xhr || !info.target || !info.target.id) return;
    // readystatechange (DONE) comes before load, where htmx reads the answer.
    xhr.addEventListener("readystatechange", function () {
      if (xhr.readyState !== 4 || info.target.isConnected) return;
      var now = document.getElementById(info.target.id);
      if (now) info.target = now;
    });
  });
})();

/* A form that changes something is sent once. A double tap on "Finish picking" or "Confirm
 * packing" sent it twice; the browser showed the second answer ("this step is not possible
 * now") over the first one's success. Forms htmx or another script sends (they stop the
 * browser's own submit before this runs) and the scan forms are left alone. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || String(form.method).toLowerCase() !== "post") return;
    if (form.hasAttribute("hx-post") || form.id === "scan-form") return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
  });
  // Back to a page kept in memory: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
    });
  });
})();

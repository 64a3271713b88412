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

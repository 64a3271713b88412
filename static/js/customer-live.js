/* The customer's page, kept calm while the live stream redraws it.
 *
 * 1. A redraw that changes nothing is not made. The stream sends every section again when
 *    it connects (and reconnects after a gap), so that a phone that missed something
 *    catches up; swapping in the same markup would reset a chosen bay, move the focus and,
 *    when a button was just tapped, throw away the section its answer is meant for.
 * 2. The answer to the customer's last tap ("Thank you! The picker has your answer.") stays
 *    when the stream redraws its section soon after: that redraw is the echo of the tap.
 *    A later redraw (something else happened) lets it go.
 * 3. The pickup code, once asked for, stays on screen. It only ever comes in the answer to
 *    a POST (a link preview must not read it), so the stream's redraws of the pickup
 *    section carry the "Show my pickup code" button instead; a customer holding the phone
 *    up at the counter must not see the code vanish. Nothing is stored: a reload asks again.
 */
(function () {
  "use strict";
  var code = null; // the pickup code's block, as the server gave it
  var answers = new WeakMap(); // a live section -> the answer shown in it before a redraw
  var ECHO_MS = 3000; // how long after an answer appears a redraw is taken for its echo

  function stamp() {
    var fresh = document.querySelectorAll("[data-feedback]:not([data-shown-at])");
    for (var i = 0; i < fresh.length; i++) fresh[i].setAttribute("data-shown-at", Date.now());
  }
  document.addEventListener("htmx:afterSettle", stamp);
  document.addEventListener("DOMContentLoaded", stamp);

  function parse(html) {
    var incoming = document.createElement("template");
    incoming.innerHTML = html;
    return incoming.content;
  }

  function same(target, incoming) {
    var now = target.childNodes, next = incoming.childNodes;
    if (now.length !== next.length) return false;
    for (var i = 0; i < now.length; i++) if (!now[i].isEqualNode(next[i])) return false;
    return true;
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var message = event.detail, section = event.target;
    if (!message || typeof message.data !== "string") return;
    var incoming = parse(message.data);
    if (same(section, incoming)) {
      event.preventDefault();
      return;
    }
    var answer = section.querySelector("[data-feedback]");
    // An answer not stamped yet has only just been swapped in (htmx settles it a moment later).
    var since = answer && answer.hasAttribute("data-shown-at")
      ? Date.now() - Number(answer.getAttribute("data-shown-at")) : 0;
    var recent = answer && since < ECHO_MS;
    if (recent && !incoming.querySelector("[data-feedback]")) answers.set(section, answer);
    else answers.delete(section);
    var shown = section.querySelector("[data-pickup-code-block]");
    if (shown) code = shown.cloneNode(true);
  });

  document.addEventListener("htmx:sseMessage", function (event) {
    var section = event.target, root = section.firstElementChild;
    var answer = answers.get(section);
    answers.delete(section);
    if (answer && root) {
      answer.classList.remove("is-new"); // already seen and heard
      root.insertBefore(answer, root.firstChild);
    }
    var offer = code && section.querySelector("[data-pickup-reveal]");
    if (offer) offer.replaceWith(code.cloneNode(true));
  });
})();

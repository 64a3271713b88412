/* The scan field: always focused, never loses a scan, never sends one twice.
 *
 * A keyboard-wedge scanner types the code and presses Enter, sometimes faster
 * than the server answers. Each submit takes the value, clears the field at
 * once and queues the request, so a second scan during the first request is
 * neither lost nor merged. Every scan carries its own random id, which the
 * server uses to ignore a repeat of the same scan (a double-tap, a resend).
 * On the pick page each scan goes through the offline queue (offline-queue.js),
 * which keeps it on the phone until the server has answered it.
 * Without JavaScript the form posts normally with a server-made id.
 */
(function () {
  "use strict";
  /* A form marked data-send-on-pick (a shelf photo for the customer) goes as soon as its
     photo is taken: one tap, not "choose a file" and then "send". */
  document.addEventListener("change", function (event) {
    var picked = event.target, owner = picked && picked.form;
    if (!owner || !owner.hasAttribute("data-send-on-pick") || !picked.files || !picked.files.length) {
      return;
    }
    if (owner.requestSubmit) owner.requestSubmit(); else owner.submit();
  });
  var form = document.getElementById("scan-form");
  var input = document.getElementById("scan-input");
  if (!form || !input) return;
  var queue = Promise.resolve();

  function newId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function typingElsewhere() {
    var el = document.activeElement;
    if (!el || el === input || el === document.body) return false;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable ||
      !!el.closest("details[open]");
  }

  function refocus() {
    if (!typingElsewhere()) input.focus({ preventScroll: true });
  }

  function send(code, quantity) {
    var qty = document.getElementById("scan-qty");
    if (qty) qty.value = "1";
    // The offline queue (offline-queue.js) stores the scan on the phone and sends it
    // with its own id and time (both at once when nothing waits); this direct path is
    // for pages without it.
    if (window.storepickQueue && window.storepickQueue.scan(form.dataset.scanUrl, code, quantity, form)) return;
    var values = { code: code, quantity: quantity, scan_id: newId() };
    queue = queue.then(function () {
      return htmx.ajax("POST", form.dataset.scanUrl, {
        source: form, values: values, target: "#scan-feedback", swap: "outerHTML"
      });
    }).catch(function () {
      if (window.storepickFeedback) window.storepickFeedback.play("error");
    });
  }

  form.addEventListener("submit", function (event) {
    if (!window.htmx) return; // htmx failed to load: let the form post normally
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    if (code) send(code, (document.getElementById("scan-qty") || {}).value || "1");
    refocus();
  });

  /* The camera and photo readers hand their codes to the same path. */
  window.storepickScan = function (code) { if (code) send(code, "1"); };

  /* After an answer to the picker's own action (what the templates mark data-answer:
   * the feedback, the list, a run's body), the current line comes into view. Nothing
   * else moves the screen: the pace card's minute refresh or a customer's notice must
   * leave a picker who scrolled down the list to see what comes next where they are. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var settled = event.target;
    if (settled && settled.closest && settled.closest("[data-answer]")) {
      var current = document.querySelector("#pick-lines .line--open");
      if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
    }
    refocus();
  });
  input.addEventListener("blur", function () { setTimeout(refocus, 300); });
  refocus();
})();

/* Live camera scanning and the photo fallback's small helpers.
 *
 * The camera button opens a full-screen viewfinder on the rear camera and decodes
 * frames continuously: with the browser's BarcodeDetector where it exists and knows
 * our formats, otherwise with the vendored zxing-wasm reader, loaded only then (its
 * files are same-origin and cached by the service worker on first use, so it works
 * offline after one use). Every code goes through window.storepickScan, the same
 * queued htmx path as the scan field. The decoder in use is written to
 * data-decoder ("native" or "wasm") on the viewfinder.
 *
 * One item must not count twice: a code equal to the last one is ignored while it
 * was seen less than REPEAT_MS ago (holding the camera on it keeps it ignored);
 * a different code goes at once.
 *
 * GS1 content keeps its meaning: the AIM identifier (]d2, ]C1, ]Q3) is put in front
 * and the GS separators (ASCII 29) are kept, so picking.codes.interpret reads it.
 */
(function () {
  "use strict";
  var REPEAT_MS = 1500;
  var FRAME_GAP_MS = 120;
  var HINT_AFTER_MS = 2000;  // no code for this long: say what is wrong with the picture
  var HINT_EVERY_MS = 1000;
  var NATIVE_FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "qr_code",
    "data_matrix", "itf"];
  var WASM_FORMATS = ["EAN13", "EAN8", "UPCA", "UPCE", "Code128", "QRCode", "DataMatrix", "ITF"];
  var GS1_AIM = { DataMatrix: "]d2", Code128: "]C1", QRCode: "]Q3",
    data_matrix: "]d2", code_128: "]C1", qr_code: "]Q3" };
  var GS1_START = /^(0[12]\d{14}|00\d{18})/;

  var root = document.getElementById("camera");
  var openButton = document.getElementById("camera-open");

  /* -- photo form: swap 413 answers too, and clear the file after each send -- */
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.elt && event.detail.elt.id === "photo-form" &&
        event.detail.xhr && event.detail.xhr.status === 413) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "photo-form") form.reset();
  });

  if (!root || !openButton) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    explainNoCamera();
    return;
  }
  openButton.hidden = false;

  /* No camera API: say why in one line, and what to do instead on this page. */
  function explainNoCamera() {
    var hint = document.getElementById("camera-hint");
    if (!hint) return;
    var why = window.isSecureContext ? "None" : "Insecure";
    var instead = document.getElementById("photo-form") ? "Photo" : "Type";
    hint.textContent = hint.dataset["text" + why + instead] || "";
    hint.hidden = false;
  }

  var video = root.querySelector(".camera__video");
  var statusLine = root.querySelector(".camera__status");
  var torchButton = root.querySelector(".camera__torch");
  var closeButton = root.querySelector(".camera__close");
  var stream = null;
  var running = false;
  var decoderPromise = null;
  var last = { code: null, seen: 0 };

  function say(key) { statusLine.textContent = root.dataset[key] || ""; }

  /* -- decoders: each is {name, read(video) -> Promise<[code text]>} -- */

  function gs1Text(aim, text) {
    return aim && (text.indexOf("\x1d") !== -1 || GS1_START.test(text)) ? aim + text : text;
  }

  function nativeDecoder() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
      var formats = NATIVE_FORMATS.filter(function (f) { return supported.indexOf(f) !== -1; });
      if (!formats.length) return null;
      var detector = new window.BarcodeDetector({ formats: formats });
      return {
        name: "native",
        read: function (source) {
          return detector.detect(source).then(function (found) {
            return found.map(function (b) {
              if (b.format === "upc_e") return "]E0" + b.rawValue;
              return gs1Text(GS1_AIM[b.format], b.rawValue);
            });
          });
        }
      };
    }).catch(function () { return null; });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(script);
    });
  }

  function latin1(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return text;
  }

  function wasmText(result) {
    if (result.contentType === "GS1") {
      var aim = GS1_AIM[result.format] || result.symbologyIdentifier || "";
      return aim + latin1(result.bytes);
    }
    if (result.format === "UPCE") return "]E0" + result.text;
    return result.text;
  }

  function wasmDecoder() {
    return loadScript(root.dataset.wasmJs).then(function () {
      var zxing = window.ZXingWASM;
      var binary = root.dataset.wasmBinary;
      zxing.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) {
            return path.slice(-5) === ".wasm" ? binary : prefix + path;
          }
        },
        fireImmediately: true
      });
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      var options = { formats: WASM_FORMATS, tryHarder: true, tryInvert: false,
        maxNumberOfSymbols: 4, textMode: "Plain" };
      return {
        name: "wasm",
        read: function (source) {
          var width = source.videoWidth, height = source.videoHeight;
          if (!width || !height) return Promise.resolve([]);
          canvas.width = width;
          canvas.height = height;
          context.drawImage(source, 0, 0, width, height);
          return zxing.readBarcodes(context.getImageData(0, 0, width, height), options)
            .then(function (results) {
              return results.filter(function (r) { return r.isValid; }).map(wasmText);
            });
        }
      };
    });
  }

  function decoder() {
    if (!decoderPromise) {
      decoderPromise = nativeDecoder().then(function (native) {
        return native || wasmDecoder();
      });
      decoderPromise.catch(function () { decoderPromise = null; });
    }
    return decoderPromise;
  }

  /* -- one code, once -- */

  function handle(code) {
    var now = Date.now();
    if (code === last.code && (last.held || now - last.seen < REPEAT_MS)) {
      last.seen = now;
      return;
    }
    last = { code: code, seen: now };
    if (window.storepickScan) window.storepickScan(code);
    else submitPlainForm(code);
  }

  /* Pages without the htmx scan queue (courier, counter) post their scan form and
   * reload. Remember the code and that the camera was on: the next page reopens
   * it and ignores the bag still in view until it leaves the frame. */
  var RESUME_KEY = "storepick-camera";

  function submitPlainForm(code) {
    var form = document.getElementById("scan-form");
    var input = form && form.elements.code;  // #scan-input, or the substitute page's field
    if (!form || !input) return;
    input.value = code;
    try { sessionStorage.setItem(RESUME_KEY, JSON.stringify({ code: code })); } catch (e) { /* private mode */ }
    stopStream();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function resumeAfterReload() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "null");
      sessionStorage.removeItem(RESUME_KEY);
    } catch (e) { saved = null; }
    if (!saved || window.storepickScan) return;
    // Held: ignored until the camera has watched it out of the frame, however long
    // the camera takes to start (it can be longer than REPEAT_MS).
    open();  // resets what was last seen, so hold the code after it
    last = { code: saved.code, seen: Date.now(), held: true, missed: 0 };
  }

  /* A held code is let go after REPEAT_MS worth of decoded frames without it. */
  function releaseWhenGone(codes) {
    last.missed = codes.indexOf(last.code) >= 0 ? 0 : last.missed + 1;
    if (last.missed * FRAME_GAP_MS >= REPEAT_MS) last.held = false;
  }

  /* -- hints: no code for a while, so look at the middle of the picture (where the
   * aim box is) and say the likeliest reason: too dark, blurred (hold steady), or
   * nothing sharp enough there (move closer). A few thousand pixels, once a second. -- */
  var hintCanvas = null;
  var hints = { since: 0, at: 0 };

  function pictureHint() {
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height) return null;
    var w = Math.min(200, width), h = Math.min(120, height);
    if (!hintCanvas) hintCanvas = document.createElement("canvas");
    hintCanvas.width = w;
    hintCanvas.height = h;
    var context = hintCanvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, (width - w) / 2, (height - h) / 2, w, h, 0, 0, w, h);
    var rgba = context.getImageData(0, 0, w, h).data;
    var grey = new Float32Array(w * h), sum = 0, squares = 0, edges = 0, i;
    for (i = 0; i < w * h; i++) {
      grey[i] = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
      sum += grey[i];
      squares += grey[i] * grey[i];
    }
    for (var y = 0; y < h; y++) {
      for (var x = 1; x < w; x++) {
        var d = Math.abs(grey[y * w + x] - grey[y * w + x - 1]);
        if (d > edges) edges = d;  // the steepest step: sharp edges jump, blurred ones ramp
      }
    }
    var mean = sum / (w * h);
    var spread = Math.sqrt(Math.max(0, squares / (w * h) - mean * mean));
    if (mean < 45) return "textDark";
    if (spread < 10) return "textCloser";  // nothing there but paper or shelf
    return edges < 1.2 * spread ? "textSteady" : "textCloser";
  }

  function hintWhenStuck(codes) {
    var now = Date.now();
    if (codes.length || !hints.since) { hints.since = now; return; }
    if (now - hints.since < HINT_AFTER_MS || now - hints.at < HINT_EVERY_MS) return;
    hints.at = now;
    var key = pictureHint();
    if (!key) return;
    root.dataset.hint = key;
    say(key);
    statusLine.dataset.kind = "hint";
  }

  function loop(reader) {
    if (!running) return;
    var next = function () { if (running) setTimeout(function () { loop(reader); }, FRAME_GAP_MS); };
    if (video.readyState < 2) { next(); return; }
    reader.read(video).then(function (codes) {
      if (last.held) releaseWhenGone(codes);
      if (running) hintWhenStuck(codes);
      if (codes.length && running) handle(codes[0]);
    }).catch(function () { /* one bad frame: try the next */ }).then(next);
  }

  /* -- camera and torch -- */

  function setUpTorch(track) {
    var caps = track.getCapabilities ? track.getCapabilities() : {};
    torchButton.hidden = !caps.torch;
    torchButton.setAttribute("aria-pressed", "false");
  }

  torchButton.addEventListener("click", function () {
    var track = stream && stream.getVideoTracks()[0];
    if (!track) return;
    var on = torchButton.getAttribute("aria-pressed") !== "true";
    track.applyConstraints({ advanced: [{ torch: on }] }).then(function () {
      torchButton.setAttribute("aria-pressed", String(on));
    }).catch(function () { torchButton.hidden = true; });
  });

  function open() {
    root.hidden = false;
    document.body.classList.add("camera-on");
    say("textStarting");
    running = true;
    last = { code: null, seen: 0 };
    hints = { since: 0, at: 0 };
    delete root.dataset.hint;
    var constraints = { audio: false, video: { facingMode: { ideal: "environment" },
      width: { ideal: 1280 }, height: { ideal: 720 } } };
    Promise.all([navigator.mediaDevices.getUserMedia(constraints), decoder()])
      .then(function (parts) {
        stream = parts[0];
        if (!running) { stop(); return; }
        root.dataset.decoder = parts[1].name;
        video.srcObject = stream;
        setUpTorch(stream.getVideoTracks()[0]);
        return video.play().then(function () {
          say("textAim");
          loop(parts[1]);
        });
      })
      .catch(function (err) {
        say(err && err.name === "NotAllowedError" ? "textDenied" : "textNoDecoder");
        if (window.storepickFeedback) window.storepickFeedback.play("error");
        stopStream();
      });
  }

  function stopStream() {
    running = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.srcObject = null;
  }

  function stop() {
    stopStream();
    root.hidden = true;
    document.body.classList.remove("camera-on");
    var input = document.getElementById("scan-input");
    if (input) input.focus({ preventScroll: true });
  }

  openButton.addEventListener("click", open);
  resumeAfterReload();
  closeButton.addEventListener("click", stop);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !root.hidden) stop();
  });
  /* A hidden tab must not keep the camera (and its light) on. */
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && !root.hidden) stop();
  });
  /* Show each answer inside the viewfinder too: the banner is behind it. */
  document.addEventListener("htmx:afterSettle", function (event) {
    // Only an answer (data-answer, as scan.js): the pace card's refresh must not put an
    // old answer over a hint.
    var settled = event.target;
    if (root.hidden || !(settled && settled.closest && settled.closest("[data-answer]"))) return;
    var banner = document.querySelector("#scan-feedback .feedback");
    if (!banner) return;
    statusLine.textContent = banner.querySelector(".feedback__text").textContent;
    statusLine.dataset.kind = banner.dataset.feedback || "";
  });
})();

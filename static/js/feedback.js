/* Scan feedback: sound and vibration on top of the server-rendered colour banner.
 * An element with data-feedback="ok|warn|error" and a unique data-feedback-id is
 * played once when it arrives (htmx swap, SSE, or a page load after a plain form
 * post). Played ids are kept for the tab's session so reloads do not replay them.
 * window.storepickFeedback.play(kind) is for other scripts (camera scanner). */
(function () {
  'use strict';

  const AC = window.AudioContext || window.webkitAudioContext;
  // Square waves: cheap phone speakers barely reproduce pure low tones, but a
  // square's harmonics carry, and a buzz is what cuts through a noisy aisle.
  const KINDS = {
    ok: { tones: [[1000, 0, 0.12]], volume: 0.6, vibrate: 60 },
    warn: { tones: [[660, 0, 0.1], [660, 0.18, 0.1]], volume: 0.7, vibrate: [80, 60, 80] },
    error: { tones: [[200, 0, 0.4]], volume: 0.9, vibrate: [200, 100, 200] },
    // Kept on the phone, not yet sent (offline-queue.js): a rising pair, unlike the others.
    queued: { tones: [[520, 0, 0.09], [780, 0.12, 0.09]], volume: 0.7, vibrate: [40, 40, 40, 40, 40] },
    // A notice from outside (order cancelled or changed): long, and unlike any scan.
    notice: { tones: [[880, 0, 0.15], [440, 0.2, 0.15], [880, 0.4, 0.15], [440, 0.6, 0.3]],
      volume: 0.9, vibrate: [400, 150, 400, 150, 400] },
  };
  const STORE_KEY = 'storepick.feedback.played';
  // Chrome counts pointerup/touchend/click (not touchstart) as activation on
  // touch screens and iOS wants touchend, so listen to all until audio runs.
  const GESTURES = ['keydown', 'pointerdown', 'touchstart', 'pointerup', 'touchend', 'click'];

  let ctx = null;
  let played = [];
  try { played = JSON.parse(sessionStorage.getItem(STORE_KEY)) || []; } catch (e) { /* private mode */ }
  if (!Array.isArray(played)) played = [];

  function audio() {
    if (!ctx && AC) { try { ctx = new AC(); } catch (e) { return null; } }
    return ctx;
  }

  function unlock() {
    const c = audio();
    if (!c) return;
    if (c.state !== 'running') c.resume().catch(function () {});
    // iOS only unlocks after a sound is started inside the gesture: one silent sample.
    const src = c.createBufferSource();
    src.buffer = c.createBuffer(1, 1, 22050);
    src.connect(c.destination);
    src.start(0);
    if (c.state === 'running') {
      GESTURES.forEach(function (t) { document.removeEventListener(t, unlock, true); });
    }
  }

  function tone(c, freq, at, dur, volume) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'square';
    osc.frequency.value = freq;
    // 5 ms ramps avoid the click of a hard start/stop.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(volume, at + 0.005);
    gain.gain.setValueAtTime(volume, at + dur - 0.005);
    gain.gain.linearRampToValueAtTime(0, at + dur);
    osc.connect(gain);
    gain.connect(c.destination); // not chained: old Safari's connect() returns undefined
    osc.start(at);
    osc.stop(at + dur + 0.01);
  }

  function play(kind) {
    const spec = KINDS[kind];
    if (!spec) return;
    const c = audio();
    const sound = function () {
      const t0 = c.currentTime + 0.01;
      spec.tones.forEach(function (t) { tone(c, t[0], t0 + t[1], t[2], spec.volume); });
    };
    if (c && c.state === 'running') sound();
    else if (c) {
      // Allowed without a gesture (e.g. an installed PWA), resume() settles at once;
      // otherwise it waits for the next tap, when this result would be stale.
      const asked = Date.now();
      c.resume().then(function () { if (Date.now() - asked < 300) sound(); }, function () {});
    }
    if (navigator.vibrate) {
      try { navigator.vibrate(spec.vibrate); } catch (e) { /* not allowed yet */ }
    }
  }

  function checkNew() {
    let latest = null;
    document.querySelectorAll('[data-feedback][data-feedback-id]').forEach(function (el) {
      const id = el.getAttribute('data-feedback-id');
      if (id && played.indexOf(id) === -1) {
        played.push(id);
        latest = el; // several at once (main + oob swap): play one, the last
      }
    });
    if (!latest) return;
    played = played.slice(-50);
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(played)); } catch (e) { /* ignore */ }
    play(latest.getAttribute('data-feedback'));
  }

  /* Notices pinned to the top of the screen are tapped away ("Got it"). */
  document.addEventListener('click', function (event) {
    const button = event.target.closest && event.target.closest('[data-dismiss="notice"]');
    const notice = button && button.closest('.notice');
    if (notice) notice.remove();
  });

  /* The pick page scrolls its current line into view after each answer (scan.js); the
   * line's scroll margin leaves room for the answer above it (app.css, --feedback-h). */
  document.addEventListener('htmx:afterSettle', function () {
    const answer = document.getElementById('scan-feedback');
    if (answer) document.documentElement.style.setProperty('--feedback-h', answer.offsetHeight + 'px');
  });

  GESTURES.forEach(function (t) { document.addEventListener(t, unlock, { capture: true, passive: true }); });
  document.addEventListener('htmx:afterSettle', checkNew);
  document.addEventListener('htmx:sseMessage', checkNew);
  document.addEventListener('htmx:oobAfterSwap', checkNew);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', checkNew);
  else checkNew();

  window.storepickFeedback = { play: play };
})();

// Staff opt in to Web Push on this device (app/push.py). Where push cannot work (no
// HTTPS, a browser without it, an iPhone without the app on the home screen, or
// notifications blocked), the box says so: the open pages still show their banners
// and play their sounds.
(function () {
  'use strict';
  const box = document.getElementById('push-optin');
  if (!box) return;
  const state = box.querySelector('[data-push-state]');
  const button = box.querySelector('button');
  const say = (name) => { state.textContent = box.dataset[name] || ''; box.dataset.state = name; };
  const csrf = () => {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['x-csrftoken']; }
    catch (_) { return ''; }
  };
  const post = (url, body) => fetch(url, {
    method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'x-csrftoken': csrf() },
  });
  const b64 = (text) => {
    const raw = atob((text + '='.repeat((4 - text.length % 4) % 4)).replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  const standalone = window.matchMedia('(display-mode: standalone)').matches || navigator.standalone === true;
  if (!window.isSecureContext) return say('https');
  if (ios && !standalone) return say('ios');
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    return say('unsupported');
  }
  if (Notification.permission === 'denied') return say('denied');

  const keep = async (sub) => {
    const answer = await post(box.dataset.subscribeUrl, sub.toJSON());
    say(answer.ok ? 'on' : 'failed');
    button.hidden = answer.ok;
  };
  navigator.serviceWorker.ready
    .then((reg) => reg.pushManager.getSubscription())
    .then((sub) => { if (sub) { keep(sub); } else { say('off'); button.hidden = false; } })
    .catch(() => say('failed'));

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      if (await Notification.requestPermission() !== 'granted') { say('denied'); return; }
      const key = (await (await fetch(box.dataset.keyUrl, { credentials: 'same-origin' })).json()).key;
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64(key) });
      await keep(sub);
    } catch (_) {
      say('failed');
    } finally {
      button.disabled = false;
    }
  });
})();

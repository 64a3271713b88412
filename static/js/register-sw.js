/* Register the service worker once the page has loaded, so that its precache
 * downloads do not compete with the first render on a slow connection. */
(function () {
  'use strict';
  if (!('serviceWorker' in navigator)) return;
  // Customer links (/c/...) are not the staff app: never install it in a customer's browser.
  if (location.pathname.indexOf('/c/') === 0) return;

  function register() {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function (err) {
      // Not fatal: the app works without it (plain HTTP off localhost, private mode...).
      console.warn('storepick: service worker not registered', err);
    });
  }

  if (document.readyState === 'complete') {
    register();
  } else {
    window.addEventListener('load', register, { once: true });
  }
})();

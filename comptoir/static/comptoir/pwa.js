// The installable app: register the service worker (scope "/", served at /sw.js).
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // No worker (private mode, an old browser): the site works as a plain site.
    });
  });
})();

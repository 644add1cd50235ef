// Payment pages (WeChat Pay QR code, a gift awaiting confirmation): ask the server for
// the gift's state every few seconds and move on once it is paid, failed or expired.
// Without JavaScript the page still works: the donor follows the status link.
(function () {
  "use strict";
  var el = document.querySelector("[data-poll-url]");
  if (!el || !window.fetch) { return; }
  var url = el.getAttribute("data-poll-url");
  var next = el.getAttribute("data-next-url");
  var started = Date.now();
  var LIMIT = 35 * 60 * 1000;  // the checkout lives 31 minutes
  function poll() {
    if (Date.now() - started > LIMIT) { return; }
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.done) {
          if (next) { window.location.assign(next); } else { window.location.reload(); }
          return;
        }
        window.setTimeout(poll, 3000);
      })
      .catch(function () { window.setTimeout(poll, 6000); });
  }
  window.setTimeout(poll, 2000);
})();

// Settings pages: a form with data-confirm asks before it is sent.
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var btn = e.submitter;
    var msg = (btn && btn.dataset.confirm) || e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
})();

// "Copy link": copy the public link, then report the share to the counting endpoint.
// Works inside the LMS iframe: falls back to selecting the text when the Clipboard API is
// not allowed there (the iframe may lack allow="clipboard-write").
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    function done(copied) {
      // The words come from the page, in the reader's language.
      if (status) status.textContent = copied ? status.dataset.copied : status.dataset.selectHint;
      if (copied) fetch(button.getAttribute("data-count"), { method: "POST", keepalive: true });
    }
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); },
        function () { done(document.execCommand && document.execCommand("copy")); });
    } else {
      done(document.execCommand && document.execCommand("copy"));
    }
  });
})();

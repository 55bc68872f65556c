// The in-course page that offers to open the tool in a new window (cookies blocked in the
// LMS frame): once the link is used, say so instead of leaving the offer on screen, and
// once the tool has loaded in the new window (it tells its opener, frame.js), say that too.
(function () {
  "use strict";

  var offer = document.getElementById("lti1p3-warning-msg");
  var opened = document.getElementById("bb-opened");
  var link = document.getElementById("lti1p3-new-tab-link");
  if (!offer || !opened || !link) { return; }

  function showOpened() {
    offer.hidden = true;
    offer.style.display = "none";  // pylti1p3's script shows the offer with an inline display
    opened.hidden = false;
  }

  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.setTimeout(showOpened, 0);  // after pylti1p3's own handler has opened the window
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data ||
        event.data.subject !== "badgebridge.opened") { return; }
    showOpened();
    var text = opened.querySelector("[data-opened-text]");
    text.textContent = text.dataset.loadedText;  // the page's words, in the reader's language
  });
})();

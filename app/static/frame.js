// Inside an LMS frame, ask the LMS to fit the frame to the page (1EdTech / Canvas
// "lti.frameResize" postMessage, height in pixels) on load and whenever the page's height
// changes (a preview, a job's progress, an opened disclosure), so the page never scrolls
// inside a fixed box. Outside a frame (a new window, the public pages) it does nothing.
(function () {
  "use strict";

  if (window.parent === window) {
    // Opened from the in-course offer (cookies blocked in the frame): tell that page the
    // tool is here, so it stops offering. Same origin only; the opener may be gone.
    try {
      if (window.opener && window.opener.location.origin === window.location.origin) {
        window.opener.postMessage({ subject: "badgebridge.opened" }, window.location.origin);
      }
    } catch (e) { /* a cross-origin opener: nothing to tell */ }
    return;
  }
  var sent = 0;

  function height() {
    // The content's own height, not the frame's: scrollHeight never shrinks below the frame.
    return Math.ceil(document.body.getBoundingClientRect().height);
  }

  function send() {
    var h = height();
    if (!h || Math.abs(h - sent) < 2) { return; }
    sent = h;
    // The height is not a secret; the LMS's origin is not known to the tool's page. Canvas
    // reads either form; older listeners (D2L, Moodle plugins) parse the JSON string, newer
    // ones (LTI client-side postMessages) take only the object: send both.
    var message = { subject: "lti.frameResize", height: h };
    window.parent.postMessage(message, "*");
    window.parent.postMessage(JSON.stringify(message), "*");
  }

  window.addEventListener("load", send);
  if (window.ResizeObserver) {
    new window.ResizeObserver(send).observe(document.body);
  } else {
    window.addEventListener("resize", send);
  }
  send();
})();

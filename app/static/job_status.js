// Follows a job the staff page started (#job-status): polls its JSON status with the launch
// token (no cookies inside the LMS iframe), shows its progress, and reloads the page once it
// has ended so the lists show what it did. The reloaded page renders the finished state.
(function () {
  "use strict";

  var box = document.getElementById("job-status");
  if (!box || box.dataset.finished === "true") { return; }
  var text = box.querySelector("[data-job-text]");
  var bar = box.querySelector("[data-job-progress]");
  var INTERVAL_MS = 1000;
  var MAX_INTERVAL_MS = 10000;
  var interval = INTERVAL_MS;
  var lastState = null;

  function show(status) {
    text.textContent = status.text;
    box.className = "card job job-" + status.state;
    if (status.total && !status.finished) {
      bar.max = status.total;
      bar.value = status.done || 0;
      bar.hidden = false;
    }
  }

  function poll() {
    fetch(box.dataset.url, {
      headers: { "Authorization": "Bearer " + box.dataset.token, "Accept": "application/json" },
      credentials: "omit", cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (status) {
      show(status);
      if (status.finished) {
        window.location.reload();
        return;
      }
      // Poll briskly while the job moves; slow down while it waits (no worker yet).
      interval = status.state === lastState && status.state !== "running"
        ? Math.min(interval * 1.5, MAX_INTERVAL_MS) : INTERVAL_MS;
      lastState = status.state;
      window.setTimeout(poll, interval);
    }).catch(function () {
      // A dropped request (network, an expired launch) must not stop the page: try again.
      window.setTimeout(poll, INTERVAL_MS * 3);
    });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();

// LTI Client Side postMessage storage (1EdTech): lti.put_data / lti.get_data through the
// platform's forwarding frame, so OIDC state survives without third-party cookies.
(function (global) {
  "use strict";
  function targetWindow(target) {
    if (!target || target === "_parent") return global.parent;
    try { return global.parent.frames[target] || global.parent; } catch (e) { return global.parent; }
  }
  // The platform's forwarding frame may still be loading when the tool's page asks (a course
  // page that loads slowly, a busy machine): an unanswered message is asked again, to the
  // frame found then, a few times before storage counts as unavailable.
  var ATTEMPTS = 4;
  function send(target, origin, message, timeoutMs, attempt) {
    attempt = attempt || 1;
    return once(target, origin, message, timeoutMs).catch(function (error) {
      if (error.message !== "timeout" || attempt >= ATTEMPTS) throw error;
      return send(target, origin, message, timeoutMs, attempt + 1);
    });
  }
  function once(target, origin, message, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var id = (global.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2);
      message = Object.assign({}, message, { message_id: id });
      var timer = setTimeout(function () { cleanup(); reject(new Error("timeout")); }, timeoutMs || 3000);
      function cleanup() { clearTimeout(timer); global.removeEventListener("message", onMessage); }
      function onMessage(event) {
        if (origin !== "*" && event.origin !== origin) return;
        var data = event.data || {};
        if (data.message_id !== id || data.subject !== message.subject + ".response") return;
        cleanup();
        if (data.error) reject(new Error(data.error.message || data.error.code || "storage error"));
        else resolve(data);
      }
      global.addEventListener("message", onMessage);
      targetWindow(target).postMessage(message, origin);
    });
  }
  global.LtiStorage = {
    put: function (target, origin, key, value) {
      return send(target, origin, { subject: "lti.put_data", key: key, value: value });
    },
    get: function (target, origin, key) {
      return send(target, origin, { subject: "lti.get_data", key: key }).then(function (r) { return r.value; });
    }
  };
})(window);

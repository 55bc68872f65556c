// The badge designer page: keeps the form and the live preview in step.
// Every request carries the launch token (Authorization: Bearer): inside the LMS iframe the
// tool has no cookies, and the token is also what makes these POSTs CSRF-safe.
(function () {
  "use strict";

  var config = document.getElementById("designer-config").dataset;
  var form = document.getElementById("designer-form");
  var uploadForm = document.getElementById("upload-form");
  var badges = JSON.parse(document.getElementById("designer-badges").textContent);
  var defaultDesign = JSON.parse(document.getElementById("designer-default").textContent);
  // The page's words in the reader's language (the template renders them from the catalogue).
  var strings = JSON.parse(document.getElementById("designer-strings").textContent);
  function t(text) { return strings[text] || text; }
  var previewImage = document.getElementById("preview-image");
  var previewStatus = document.getElementById("preview-status");
  var warningsList = document.getElementById("contrast-warnings");
  var saveResult = document.getElementById("save-result");
  var badgeSelect = document.getElementById("badge-select");
  var miniPreview = document.getElementById("mini-preview");
  var miniImage = miniPreview.querySelector("img");
  var DEBOUNCE_MS = 150;
  var timer = null;
  var inFlight = null;
  var previewUrl = null;

  function field(name) { return form.elements.namedItem(name); }

  function value(name) {
    var el = field(name);
    return el ? el.value : "";
  }

  function setValue(name, v) {
    var el = field(name);
    if (el) { el.value = v == null ? "" : v; }
  }

  function byId(list) {
    var out = {};
    list.forEach(function (b) { out[b.id] = b; });
    return out;
  }
  var badgesById = byId(badges);

  // --- the design document <-> the form ----------------------------------------------
  function readDesign() {
    var fill = { type: value("fill.type") || "solid", color: value("fill.color") };
    if (fill.type === "gradient") {
      fill.color2 = value("fill.color2");
      fill.direction = value("fill.direction");
    }
    var iconName = value("icon.name");
    var width = value("border.width");
    return {
      version: 1,
      template: value("template"),
      fill: fill,
      border: { color: value("border.color"), width: width === "" ? 0 : Number(width) },
      icon: iconName ? { name: iconName, color: value("icon.color") } : null,
      title: value("title"),
      subtitle: value("subtitle"),
      tier: value("tier"),
      text_color: value("text_color"),
      alt_text: value("alt_text").trim() ? value("alt_text") : null
    };
  }

  function writeDesign(d) {
    d = Object.assign({}, defaultDesign, d || {});
    setValue("template", d.template);
    setValue("fill.type", d.fill.type);
    setValue("fill.color", d.fill.color);
    setValue("fill.color2", d.fill.color2 || d.fill.color);
    setValue("fill.direction", d.fill.direction || "vertical");
    setValue("border.color", d.border.color);
    setValue("border.width", d.border.width);
    setValue("icon.name", d.icon ? d.icon.name : "");
    setValue("icon.color", d.icon ? d.icon.color : (defaultDesign.icon || {}).color || "#ffffff");
    setValue("title", d.title);
    setValue("subtitle", d.subtitle);
    setValue("tier", d.tier);
    setValue("text_color", d.text_color);
    setValue("alt_text", d.alt_text || "");
    syncVisibility();
  }

  function syncVisibility() {
    var gradient = value("fill.type") === "gradient";
    document.querySelectorAll("[data-gradient-only]").forEach(function (el) {
      el.hidden = !gradient;
    });
    var isNew = !badgeSelect.value;
    document.getElementById("new-badge-fields").hidden = !isNew;
    var name = isNew ? value("name") : (badgesById[badgeSelect.value] || {}).name;
    var description = isNew ? value("description") :
      (badgesById[badgeSelect.value] || {}).description;
    var alt = [name, description].filter(Boolean).join(": ");
    field("alt_text").placeholder = alt || t("Name and description of the badge");
  }

  // --- errors next to their fields -----------------------------------------------------
  // ``only`` (a test on a field's key) limits what is cleared: the live preview checks the
  // artwork alone, and its answer must not wipe what the last save said about the name or
  // the description (typing the name and saving at once showed that error for a blink).
  function clearErrors(scope, only) {
    scope.querySelectorAll(".field-error").forEach(function (p) {
      if (only && !only(p.dataset.errorFor)) { return; }
      p.hidden = true;
      p.textContent = "";
    });
    scope.querySelectorAll("[aria-invalid]").forEach(function (el) {
      if (only && !only(el.name || "")) { return; }
      el.removeAttribute("aria-invalid");
    });
  }

  function isDesignField(key) {
    return key === "design" ||
      Object.prototype.hasOwnProperty.call(readDesign(), key.split(".")[0]);
  }

  function showErrors(errors, scope) {
    var first = null;
    Object.keys(errors).forEach(function (key) {
      // "fill.color2" belongs next to fill.color2; unknown keys fall back to the form's
      // general message so nothing the server says is lost.
      var target = scope.querySelector('[data-error-for="' + key + '"]') ||
        scope.querySelector('[data-error-for="' + key.split(".")[0] + '"]') ||
        document.querySelector('[data-error-for="' + key + '"]') ||
        document.querySelector('[data-error-for="design"]');
      target.hidden = false;
      target.textContent = (target.textContent ? target.textContent + " " : "") +
        labelFor(key) + errors[key];
      var input = (scope.elements && scope.elements.namedItem(key)) ||
        (form.elements.namedItem(key));
      if (input && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        if (!first) { first = input; }
      }
    });
    return first;
  }

  function labelFor(key) {
    // Design errors read like "must be one of …"; name the field so the sentence stands alone.
    var names = {
      "template": "Shape", "tier": "Tier", "fill.color": "Fill colour",
      "fill.color2": "Second colour", "fill.direction": "Direction",
      "border.color": "Border colour", "border.width": "Border width",
      "icon.name": "Icon", "icon.color": "Icon colour", "title": "Title",
      "subtitle": "Subtitle", "alt_text": "Alt text", "text_color": "Text colour"
    };
    return names[key] ? t(names[key]) + " " : "";
  }

  // --- requests -------------------------------------------------------------------------
  function post(url, body, isJson, signal) {
    var headers = { "Authorization": "Bearer " + config.token, "Accept": "application/json" };
    if (isJson) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: "POST", headers: headers, body: isJson ? JSON.stringify(body) : body,
      credentials: "omit", signal: signal
    }).then(function (response) {
      // Sliding expiry: every answer renews the launch token; keep the newest.
      config.token = response.headers.get("X-Launch-Token") || config.token;
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function renderWarnings(warnings) {
    warningsList.innerHTML = "";
    (warnings || []).forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      warningsList.appendChild(li);
    });
  }

  function refreshPreview() {
    if (inFlight) { inFlight.abort(); }
    inFlight = new AbortController();
    previewStatus.textContent = t("Updating preview…");
    post(config.previewUrl, { design: readDesign() }, true, inFlight.signal)
      .then(function (result) {
        clearErrors(form, isDesignField);
        if (!result.ok) {
          showErrors(result.data.errors || { design: t("The preview failed.") }, form);
          previewStatus.textContent = t("Fix the marked fields to see the preview.");
          return;
        }
        // An <img> of a blob keeps the SVG inert (no script runs in an image) and lets the
        // alt attribute carry the badge's accessible name.
        var blob = new Blob([result.data.svg], { type: "image/svg+xml" });
        if (previewUrl) { URL.revokeObjectURL(previewUrl); }
        previewUrl = URL.createObjectURL(blob);
        previewImage.src = previewUrl;
        miniImage.src = previewUrl;
        previewImage.alt = result.data.accessible_name;
        previewImage.dataset.title = value("title");
        previewStatus.textContent = t("Preview up to date.");
        renderWarnings(result.data.warnings);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          previewStatus.textContent = t("The preview could not be updated; check your connection.");
        }
      });
  }

  function schedulePreview() {
    syncVisibility();
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, DEBOUNCE_MS);
  }

  function target() {
    return { badge: badgeSelect.value || null, name: value("name"), description: value("description") };
  }

  function showSaved(data) {
    saveResult.innerHTML = "";
    var p = document.createElement("p");
    p.textContent = data.message + " ";
    var link = document.createElement("a");
    link.href = data.png_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = t("Open the PNG");
    link.dataset.testid = "saved-png";
    p.appendChild(link);
    saveResult.appendChild(p);
    if (data.badge_url) {
      // Artwork is not the end: the badge is a draft until its criteria are set and it is
      // published, so say so and lead to the page where that happens.
      var next = document.createElement("p");
      var states = { draft: "This badge is a draft.", live: "This badge is live.",
                     archived: "This badge is archived." };
      next.textContent = t(states[data.state] || "") + " " + data.next_step + " ";
      var go = document.createElement("a");
      go.href = data.badge_url;
      go.textContent = data.state === "draft" ? t("Set its criteria and publish it")
                                              : t("Open the badge's page");
      go.dataset.testid = "open-badge-page";
      next.appendChild(go);
      saveResult.appendChild(next);
    }
    if (data.warnings && data.warnings.length) {
      // What the upload checker removed or changed: the instructor should know.
      var list = document.createElement("ul");
      list.className = "warnings";
      data.warnings.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
      saveResult.appendChild(list);
    }
    var img = document.createElement("img");
    img.src = data.png_url;
    img.alt = t("Saved artwork of %(name)s").replace("%(name)s", data.name);
    img.width = 128;
    img.height = 128;
    saveResult.appendChild(img);
    if (!badgesById[data.badge]) {
      var option = document.createElement("option");
      option.value = data.badge;
      option.textContent = data.name + " (" + data.state + ")";
      badgeSelect.appendChild(option);
    }
    badgesById[data.badge] = {
      id: data.badge, name: data.name, description: value("description"),
      design: data.design, png_url: data.png_url, version: data.version
    };
    // Further saves are new versions of this badge, not new badges.
    badgeSelect.value = data.badge;
    syncVisibility();
  }

  // A new badge's artwork carries its name as the title until the title is edited by hand
  // (learners saw "Badge title" on badges whose makers never touched the field). A name in any
  // script is copied: the bundled fonts draw most, and the preview names any character they lack.
  var nameField = document.getElementById("badge-name");
  var mirroredTitle = defaultDesign.title;
  nameField.addEventListener("input", function () {
    var name = nameField.value.replace(/\s+/g, " ").trim().slice(0, field("title").maxLength);
    if (name && value("title") === mirroredTitle) {
      mirroredTitle = name;
      setValue("title", name);
    }
  });

  form.addEventListener("input", schedulePreview);
  form.addEventListener("change", schedulePreview);

  badgeSelect.addEventListener("change", function () {
    var badge = badgesById[badgeSelect.value];
    if (badge && badge.design) { writeDesign(badge.design); }
    schedulePreview();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = document.getElementById("save-design");
    button.disabled = true;
    saveResult.textContent = t("Saving…");
    var body = Object.assign(target(), { design: readDesign() });
    post(config.saveUrl, body, true).then(function (result) {
      clearErrors(form);
      if (!result.ok) {
        saveResult.textContent = t("Not saved: please fix the marked fields.");
        var first = showErrors(result.data.errors || { design: t("Saving failed.") }, form);
        if (first) { first.focus(); }
        return;
      }
      showSaved(result.data);
    }).catch(function () {
      saveResult.textContent = t("Not saved: the tool could not be reached.");
    }).finally(function () { button.disabled = false; });
  });

  uploadForm.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors(uploadForm);
    var file = document.getElementById("upload-file").files[0];
    if (!file) {
      showErrors({ file: t("Choose a PNG, JPEG or SVG file to upload.") }, uploadForm);
      return;
    }
    var data = new FormData();
    data.append("file", file);
    var chosen = target();
    data.append("badge", chosen.badge || "");
    data.append("name", chosen.name);
    data.append("description", chosen.description);
    saveResult.textContent = t("Uploading…");
    post(config.uploadUrl, data, false).then(function (result) {
      if (!result.ok) {
        saveResult.textContent = t("Not uploaded.");
        var errors = result.data.errors || { file: t("The upload failed.") };
        // Name and description errors belong to the badge fields of the main form.
        var mine = {}, theirs = {};
        Object.keys(errors).forEach(function (k) {
          (k === "file" ? mine : theirs)[k] = errors[k];
        });
        clearErrors(form);
        showErrors(theirs, form);
        var first = showErrors(mine, uploadForm);
        if (first) { first.focus(); }
        return;
      }
      showSaved(result.data);
    }).catch(function () {
      saveResult.textContent = t("Not uploaded: the tool could not be reached.");
    });
  });

  // --- the icon picker: filter as you type ---------------------------------------------
  var search = document.getElementById("icon-search");
  var iconCount = document.getElementById("icon-count");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll(".icon-choice").forEach(function (label) {
      var match = !q || label.dataset.iconLabel.indexOf(q) !== -1;
      label.hidden = !match;
      if (match) { shown += 1; }
    });
    iconCount.textContent = t(shown === 1 ? "%(num)s icon shown" : "%(num)s icons shown")
      .replace("%(num)s", shown.toLocaleString(document.documentElement.lang));
  });
  // Typing in the search box must not redraw the badge.
  search.addEventListener("input", function (event) { event.stopPropagation(); });

  // In a narrow frame the preview sits above the form and scrolls away while one types:
  // show a small copy in the corner whenever the real one is out of sight.
  if ("IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      miniPreview.hidden = entries[0].isIntersecting || !previewImage.src;
    }).observe(document.querySelector(".preview-frame"));
  }

  var initial = badgesById[config.selected];
  if (initial) { badgeSelect.value = initial.id; }
  writeDesign(initial && initial.design ? initial.design : defaultDesign);
  refreshPreview();
})();

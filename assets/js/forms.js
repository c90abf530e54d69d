// Form builder: edits the field list (kept as JSON in the form's
// `fields_json` textarea, which is what the server reads) and draws a live
// preview. Plain JS, no eval, no inline handlers, no innerHTML of user text,
// so it runs under the CSP `script-src 'self'`. Without JS the textarea is
// edited by hand.
(function () {
  "use strict";
  var box = document.getElementById("fb-fields");
  var json = document.getElementById("fb-json");
  var preview = document.getElementById("fb-preview");
  var addBtn = document.getElementById("fb-add");
  var form = document.getElementById("form-builder");
  if (!box || !json || !preview || !form) return;

  var L = function (k) { return box.getAttribute("data-l-" + k) || k; };
  var types = (box.getAttribute("data-types") || "text").split(",");
  var fields;
  try { fields = JSON.parse(json.value || "[]"); } catch (e) { return; }
  if (!Array.isArray(fields)) return;

  // The visual editor replaces the raw JSON.
  var jsonLabel = document.getElementById("fb-json-label");
  if (jsonLabel) jsonLabel.classList.add("hidden");
  if (addBtn) addBtn.classList.remove("hidden");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function sync() {
    json.value = JSON.stringify(fields);
    drawPreview();
  }

  function input(f, key, label, kind) {
    var wrap = el("label", { "class": "block" }, label);
    var i;
    if (kind === "checkbox") {
      wrap = el("label", { "class": "flex items-center gap-2" });
      i = el("input", { type: "checkbox" });
      i.checked = !!f[key];
      wrap.appendChild(i);
      wrap.appendChild(document.createTextNode(" " + label));
      i.addEventListener("change", function () { f[key] = i.checked; sync(); });
      return wrap;
    }
    if (kind === "textarea") {
      i = el("textarea", { rows: "3", "class": "mt-1 block w-full rounded border px-2 py-1" });
      i.value = (f[key] || []).join("\n");
      i.addEventListener("input", function () {
        f[key] = i.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
        sync();
      });
    } else if (kind === "select") {
      i = el("select", { "class": "mt-1 block w-full rounded border px-2 py-1" });
      types.forEach(function (t) {
        var o = el("option", { value: t }, t);
        if (t === f.type) o.selected = true;
        i.appendChild(o);
      });
      i.addEventListener("change", function () { f.type = i.value; render(); });
    } else {
      i = el("input", { "class": "mt-1 block w-full rounded border px-2 py-1" });
      i.value = f[key] || "";
      i.addEventListener("input", function () {
        if (i.value) f[key] = i.value; else if (key === "label" || key === "name") f[key] = ""; else delete f[key];
        sync();
      });
    }
    wrap.appendChild(i);
    return wrap;
  }

  function render() {
    while (box.firstChild) box.removeChild(box.firstChild);
    fields.forEach(function (f, idx) {
      var card = el("div", { "class": "space-y-2 rounded border p-3", "data-testid": "fb-field" });
      var grid = el("div", { "class": "grid grid-cols-2 gap-2" });
      grid.appendChild(input(f, "name", L("name")));
      grid.appendChild(input(f, "type", L("type"), "select"));
      grid.appendChild(input(f, "label", L("label")));
      grid.appendChild(input(f, "label_en", L("label-en")));
      if (f.type !== "checkbox" && f.type !== "hidden") {
        grid.appendChild(input(f, "placeholder", L("placeholder")));
        grid.appendChild(input(f, "placeholder_en", L("placeholder-en")));
      }
      card.appendChild(grid);
      if (f.type === "select") card.appendChild(input(f, "options", L("options"), "textarea"));
      if (f.type === "hidden") card.appendChild(input(f, "value", L("value")));
      var row = el("div", { "class": "flex flex-wrap items-center gap-3" });
      // Drag handle for pointers; the up/down buttons stay for keyboards.
      if (typeof Sortable !== "undefined") {
        row.appendChild(el("span", { "class": "fb-handle cursor-move select-none rounded border px-2 py-1 text-xs text-slate-500", "title": L("drag"), "aria-hidden": "true" }, "⠿"));
      }
      row.appendChild(input(f, "required", L("required"), "checkbox"));
      [["up", -1], ["down", 1]].forEach(function (m) {
        var b = el("button", { type: "button", "class": "rounded border px-2 py-1 text-xs" }, L(m[0]));
        b.addEventListener("click", function () {
          var j = idx + m[1];
          if (j < 0 || j >= fields.length) return;
          var tmp = fields[idx]; fields[idx] = fields[j]; fields[j] = tmp;
          render();
        });
        row.appendChild(b);
      });
      var rm = el("button", { type: "button", "class": "rounded border border-red-300 px-2 py-1 text-xs text-red-700" }, L("remove"));
      rm.addEventListener("click", function () { fields.splice(idx, 1); render(); });
      row.appendChild(rm);
      card.appendChild(row);
      box.appendChild(card);
    });
    sync();
  }

  // Drag and drop (SortableJS, vendored; loaded before this file): the
  // cards are redrawn from the reordered list, so `fields` stays the truth.
  if (typeof Sortable !== "undefined") {
    Sortable.create(box, {
      handle: ".fb-handle",
      animation: 150,
      onEnd: function (evt) {
        if (evt.oldIndex === evt.newIndex) return;
        var moved = fields.splice(evt.oldIndex, 1)[0];
        fields.splice(evt.newIndex, 0, moved);
        render();
      }
    });
  }

  function val(name) {
    var i = form.querySelector("[name='" + name + "']");
    return i ? i.value : "";
  }

  function drawPreview() {
    while (preview.firstChild) preview.removeChild(preview.firstChild);
    var color = function (v, d) { return /^#[0-9a-fA-F]{6}$/.test(v) ? v : d; };
    var radius = Math.max(0, Math.min(24, parseInt(val("radius"), 10) || 0)) + "px";
    var fonts = { serif: "Georgia, serif", mono: "ui-monospace, monospace" };
    preview.style.background = color(val("background_color"), "#ffffff");
    preview.style.color = color(val("text_color"), "#111827");
    preview.style.fontFamily = fonts[val("font")] || "system-ui, sans-serif";
    preview.style.borderRadius = radius;
    fields.forEach(function (f) {
      if (f.type === "hidden") return;
      var w = el("div", { "class": "mb-3" });
      var label = (f.label || f.name || "") + (f.required ? " *" : "");
      if (f.type === "checkbox") {
        var l = el("label", { "class": "flex items-center gap-2" });
        l.appendChild(el("input", { type: "checkbox" }));
        l.appendChild(document.createTextNode(label));
        w.appendChild(l);
      } else {
        // A wrapping <label> names the control, as on the published form.
        var wrap = el("label", { "class": "block" });
        wrap.appendChild(el("span", { "class": "mb-1 block font-semibold" }, label));
        var i;
        if (f.type === "textarea") i = el("textarea", { rows: "3" });
        else if (f.type === "select") {
          i = el("select", {});
          i.appendChild(el("option", {}, f.placeholder || ""));
          (f.options || []).forEach(function (o) { i.appendChild(el("option", {}, o)); });
        } else i = el("input", { type: f.type === "email" ? "email" : "text", placeholder: f.placeholder || "" });
        i.className = "block w-full border px-2 py-1";
        i.style.borderRadius = radius;
        wrap.appendChild(i);
        w.appendChild(wrap);
      }
      preview.appendChild(w);
    });
    var consent = val("consent_text");
    if (consent) {
      var c = el("label", { "class": "mb-3 flex items-center gap-2" });
      c.appendChild(el("input", { type: "checkbox" }));
      c.appendChild(document.createTextNode(consent));
      preview.appendChild(c);
    }
    var b = el("button", { type: "button", "class": "w-full px-4 py-2 font-semibold text-white" },
      val("button_text") || preview.getAttribute("data-submit") || "Enviar");
    b.style.background = color(val("primary_color"), "#4f46e5");
    b.style.borderRadius = radius;
    preview.appendChild(b);
  }

  if (addBtn) {
    addBtn.addEventListener("click", function () {
      fields.push({ name: "campo_" + (fields.length + 1), type: "text", label: "", required: false });
      render();
    });
  }
  form.addEventListener("input", function (ev) {
    if (ev.target && (ev.target.classList.contains("fb-style") || ev.target.id === "fb-consent")) drawPreview();
  });
  form.addEventListener("change", function (ev) {
    if (ev.target && ev.target.classList.contains("fb-style")) drawPreview();
  });
  render();
})();

// Forms with data-confirm ask before submitting (deleting a form).
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f && f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();

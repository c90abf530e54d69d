// Form builder: edits the field list (kept as JSON in the form's
// `fields_json` textarea, which is what the server reads), where each
// field's answer is saved on the contact (`maps_to`, with a "new custom
// field" panel that posts to /forms/custom-fields), and draws a live
// preview in Spanish or English. Plain JS, no eval, no inline handlers, no
// innerHTML of user text, so it runs under the CSP `script-src 'self'`.
// Without JS the textarea is edited by hand.
(function () {
  "use strict";
  var box = document.getElementById("fb-fields");
  var json = document.getElementById("fb-json");
  var preview = document.getElementById("fb-preview");
  var addBtn = document.getElementById("fb-add");
  var form = document.getElementById("form-builder");
  var status = document.getElementById("fb-status");
  if (!box || !json || !preview || !form) return;

  var L = function (k) { return box.getAttribute("data-l-" + k) || k; };
  // What the server offers besides the fields (types with their names,
  // contact fields, custom fields, how "automatic" picks a destination).
  var cfg = {};
  try { cfg = JSON.parse(box.getAttribute("data-builder") || "{}") || {}; } catch (e) { cfg = {}; }
  var types = cfg.types || [];
  var targets = cfg.targets || [];
  var custom = cfg.custom || [];
  var kinds = cfg.kinds || [];
  var NEW_FIELD = "+new";
  var fields;
  try { fields = JSON.parse(json.value || "[]"); } catch (e) { return; }
  if (!Array.isArray(fields)) return;

  // The "new custom field" panel: one at a time, drawn by render().
  var creating = null;
  // The "Automatic: …" options, retitled as names and types change.
  var autoOptions = [];
  var previewLang = preview.getAttribute("data-lang") === "en" ? "en" : "es";

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

  function announce(msg) {
    if (status) status.textContent = msg;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Where a field without maps_to goes: the server's rule (first match by
  // name or type), then a custom field of the same key, else nowhere.
  function inferred(f) {
    if (f.type === "checkbox") return "none";
    var rules = cfg.infer || [];
    for (var i = 0; i < rules.length; i++) {
      if ((rules[i].names || []).indexOf(f.name) >= 0 || (rules[i].type && rules[i].type === f.type)) return rules[i].field;
    }
    for (var j = 0; j < custom.length; j++) if (custom[j].key === f.name) return "custom:" + f.name;
    return "none";
  }

  function targetLabel(code) {
    if (code.indexOf("custom:") === 0) {
      var key = code.slice(7);
      for (var i = 0; i < custom.length; i++) if (custom[i].key === key) return custom[i].label;
      return key;
    }
    for (var j = 0; j < targets.length; j++) if (targets[j].code === code) return targets[j].label;
    return L("maps-none");
  }

  function autoText(f) {
    return L("maps-auto").replace("{target}", targetLabel(inferred(f)));
  }

  function sync() {
    json.value = JSON.stringify(fields);
    autoOptions.forEach(function (a) { a.option.textContent = autoText(a.field); });
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
      var known = false;
      types.forEach(function (t) {
        var o = el("option", { value: t.code }, t.label);
        if (t.code === f.type) { o.selected = true; known = true; }
        i.appendChild(o);
      });
      if (!known) {
        var odd = el("option", { value: f.type || "" }, f.type || "");
        odd.selected = true;
        i.appendChild(odd);
      }
      i.addEventListener("change", function () {
        f.type = i.value;
        // A checkbox's answer stays in the submission.
        if (f.type === "checkbox" && f.maps_to && f.maps_to !== "none") delete f.maps_to;
        render();
      });
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

  // "Save to contact": automatic, a contact field, a custom field, the
  // submission only, or (admins) a new custom field.
  function mapping(f) {
    if (f.type === "checkbox") return el("p", { "class": "text-xs text-slate-600" }, L("maps-checkbox"));
    var wrap = el("label", { "class": "block" }, L("maps-to"));
    var s = el("select", { "class": "mt-1 block w-full rounded border px-2 py-1", "data-testid": "fb-maps-to" });
    var auto = el("option", { value: "" }, autoText(f));
    autoOptions.push({ field: f, option: auto });
    s.appendChild(auto);
    var contact = el("optgroup", { label: L("maps-contact") });
    targets.forEach(function (t) { contact.appendChild(el("option", { value: t.code }, t.label)); });
    s.appendChild(contact);
    if (custom.length) {
      var cg = el("optgroup", { label: L("maps-custom") });
      custom.forEach(function (c) { cg.appendChild(el("option", { value: "custom:" + c.key }, c.label)); });
      s.appendChild(cg);
    }
    s.appendChild(el("option", { value: "none" }, L("maps-none")));
    if (cfg.can_create) s.appendChild(el("option", { value: NEW_FIELD }, L("new-cf")));
    var current = f.maps_to || "";
    var found = Array.prototype.some.call(s.options, function (o) { return o.value === current; });
    if (!found) s.appendChild(el("option", { value: current }, L("maps-unknown").replace("{code}", current)));
    s.value = current;
    s.addEventListener("change", function () {
      if (s.value === NEW_FIELD) {
        s.value = f.maps_to || "";
        openCreate(f);
        return;
      }
      if (s.value) f.maps_to = s.value; else delete f.maps_to;
      sync();
    });
    wrap.appendChild(s);
    return wrap;
  }

  function openCreate(f) {
    creating = {
      field: f,
      label: f.label || f.name || "",
      kind: f.type === "select" ? "select" : "text",
      options: (f.options || []).join("\n"),
      errors: {},
      busy: false,
      focus: "cf-label"
    };
    render();
  }

  // The small "new custom field" form; not a <form> (it sits inside the
  // builder's), so Enter creates instead of saving the whole form.
  function createPanel() {
    var c = creating;
    var panel = el("fieldset", { "class": "space-y-2 rounded border border-slate-300 bg-slate-50 p-3", "data-testid": "fb-new-cf" });
    panel.appendChild(el("legend", { "class": "px-1 font-semibold" }, L("cf-title")));
    function withError(node, part, control) {
      var msg = c.errors[part];
      if (msg) {
        var id = "fb-cf-err-" + part;
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", id);
        node.appendChild(el("span", { id: id, "class": "mt-1 block text-xs text-red-700" }, msg));
      }
      return node;
    }
    var enter = function (ev) { if (ev.key === "Enter") { ev.preventDefault(); submitCreate(); } };
    var lw = el("label", { "class": "block" }, L("cf-label"));
    var li = el("input", { id: "fb-cf-label", maxlength: "80", "class": "mt-1 block w-full rounded border px-2 py-1" });
    li.value = c.label;
    li.addEventListener("input", function () { c.label = li.value; });
    li.addEventListener("keydown", enter);
    lw.appendChild(li);
    panel.appendChild(withError(lw, "label", li));
    var kw = el("label", { "class": "block" }, L("cf-kind"));
    var ks = el("select", { id: "fb-cf-kind", "class": "mt-1 block w-full rounded border px-2 py-1" });
    kinds.forEach(function (k) { ks.appendChild(el("option", { value: k.code }, k.label)); });
    ks.value = c.kind;
    ks.addEventListener("change", function () { c.kind = ks.value; c.focus = "cf-kind"; render(); });
    kw.appendChild(ks);
    panel.appendChild(withError(kw, "kind", ks));
    if (c.kind === "select") {
      var ow = el("label", { "class": "block" }, L("cf-options"));
      var ot = el("textarea", { id: "fb-cf-options", rows: "3", "class": "mt-1 block w-full rounded border px-2 py-1" });
      ot.value = c.options;
      ot.addEventListener("input", function () { c.options = ot.value; });
      ow.appendChild(ot);
      panel.appendChild(withError(ow, "options", ot));
    }
    if (c.errors.general) panel.appendChild(el("p", { "class": "text-xs text-red-700", role: "alert" }, c.errors.general));
    var row = el("div", { "class": "flex flex-wrap gap-2" });
    var ok = el("button", { type: "button", "class": "rounded bg-brand px-3 py-1 font-semibold text-white hover:bg-brand-hover" }, L("cf-create"));
    if (c.busy) ok.setAttribute("disabled", "");
    ok.addEventListener("click", submitCreate);
    var cancel = el("button", { type: "button", "class": "rounded border bg-white px-3 py-1 hover:bg-slate-50" }, L("cf-cancel"));
    cancel.addEventListener("click", function () { creating = null; render(); });
    row.appendChild(ok);
    row.appendChild(cancel);
    panel.appendChild(row);
    return panel;
  }

  function submitCreate() {
    var c = creating;
    if (!c || c.busy) return;
    c.busy = true;
    var body = new URLSearchParams();
    body.set("label", c.label);
    body.set("kind", c.kind);
    body.set("options", c.kind === "select" ? c.options : "");
    fetch("/forms/custom-fields", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRF-Token": csrfToken(),
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: body.toString()
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j || {} }; },
        function () { return { status: r.status, body: {} }; });
    }).then(function (res) {
      c.busy = false;
      if (res.status === 201 && res.body.key) {
        custom.push(res.body);
        c.field.maps_to = "custom:" + res.body.key;
        creating = null;
        render();
        announce(L("cf-created").replace("{label}", res.body.label));
        var i = fields.indexOf(c.field);
        var sel = box.querySelectorAll("[data-testid='fb-field']")[i];
        sel = sel && sel.querySelector("[data-testid='fb-maps-to']");
        if (sel) sel.focus();
        return;
      }
      c.errors = res.status === 422 ? (res.body.errors || {}) : { general: res.body.error || L("cf-failed") };
      c.focus = c.errors.label ? "cf-label" : c.errors.options ? "cf-options" : c.errors.kind ? "cf-kind" : "cf-label";
      render();
    }, function () {
      c.busy = false;
      c.errors = { general: L("cf-failed") };
      render();
    });
  }

  function render() {
    while (box.firstChild) box.removeChild(box.firstChild);
    autoOptions = [];
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
      if (f.type === "select" || f.type === "multiselect") card.appendChild(input(f, "options", L("options"), "textarea"));
      if (f.type === "hidden") card.appendChild(input(f, "value", L("value")));
      card.appendChild(mapping(f));
      if (creating && creating.field === f) card.appendChild(createPanel());
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
      rm.addEventListener("click", function () {
        if (creating && creating.field === f) creating = null;
        fields.splice(idx, 1);
        render();
      });
      row.appendChild(rm);
      card.appendChild(row);
      box.appendChild(card);
    });
    if (creating && creating.focus) {
      var target = document.getElementById("fb-" + creating.focus);
      creating.focus = null;
      if (target) target.focus();
    }
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

  // A field's text in the preview's language, as the published form picks
  // it: the English text when there is one, else the Spanish.
  function said(f, key) {
    var en = previewLang === "en" && f[key + "_en"];
    if (key === "label") return en || f.label || f.name || "";
    return en || f[key] || "";
  }

  function buttonText() {
    if (previewLang === "en") return val("button_text_en") || val("button_text") || preview.getAttribute("data-submit-en") || "Send";
    return val("button_text") || preview.getAttribute("data-submit-es") || "Enviar";
  }

  function drawPreview() {
    while (preview.firstChild) preview.removeChild(preview.firstChild);
    var color = function (v, d) { return /^#[0-9a-fA-F]{6}$/.test(v) ? v : d; };
    var radius = Math.max(0, Math.min(24, parseInt(val("radius"), 10) || 0)) + "px";
    var fonts = { serif: "Georgia, serif", mono: "ui-monospace, monospace" };
    preview.setAttribute("lang", previewLang);
    preview.style.background = color(val("background_color"), "#ffffff");
    preview.style.color = color(val("text_color"), "#111827");
    preview.style.fontFamily = fonts[val("font")] || "system-ui, sans-serif";
    preview.style.borderRadius = radius;
    fields.forEach(function (f) {
      if (f.type === "hidden") return;
      var w = el("div", { "class": "mb-3" });
      var label = said(f, "label") + (f.required ? " *" : "");
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
        else if (f.type === "select" || f.type === "multiselect") {
          i = el("select", {});
          i.appendChild(el("option", {}, said(f, "placeholder")));
          (f.options || []).forEach(function (o) { i.appendChild(el("option", {}, o)); });
        } else i = el("input", { type: f.type === "email" ? "email" : "text", placeholder: said(f, "placeholder") });
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
    var b = el("button", { type: "button", "class": "w-full px-4 py-2 font-semibold text-white" }, buttonText());
    b.style.background = color(val("primary_color"), "#4f46e5");
    b.style.borderRadius = radius;
    preview.appendChild(b);
  }

  // The preview's language toggle (ES / EN), shown once this script runs.
  var langs = document.querySelectorAll(".fb-lang");
  var langGroup = document.getElementById("fb-preview-lang");
  if (langGroup) langGroup.classList.remove("hidden");
  function pressLang() {
    Array.prototype.forEach.call(langs, function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === previewLang ? "true" : "false");
    });
  }
  Array.prototype.forEach.call(langs, function (b) {
    b.addEventListener("click", function () {
      previewLang = b.getAttribute("data-lang") === "en" ? "en" : "es";
      pressLang();
      drawPreview();
    });
  });
  pressLang();

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

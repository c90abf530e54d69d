/* AgencyFlow form and booking embed. Usage:
 *   <script src="https://HOST/embed.js" async></script>
 *   <div data-af-form="FORM_ID"></div>
 *   <div data-af-calendar="WORKSPACE_SLUG/CALENDAR_SLUG"></div>
 * Renders each form or calendar in a shadow root (no style leaks either
 * way), captures the page's UTM parameters, referrer and landing URL,
 * validates as the visitor types (the server's rules), and submits with
 * fetch. A calendar shows its free days and times in the visitor's own
 * time zone and books in place, then shows the confirmation with the
 * "add to calendar" and manage links.
 * Plain ES5-ish JS, no dependencies, no eval, no innerHTML of data. */
(function () {
  "use strict";
  var script = document.currentScript;
  var src = script && script.src;
  if (!src) {
    var all = document.querySelectorAll("script[src*='embed.js']");
    src = all.length ? all[all.length - 1].src : "";
  }
  var base = src.replace(/\/embed\.js(\?.*)?$/, "");
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined) {
        e.setAttribute(k, attrs[k]);
      }
    }
    if (text) e.textContent = text;
    return e;
  }

  function color(v, d) {
    return /^#[0-9a-fA-F]{6}$/.test(v || "") ? v : d;
  }

  function emailOk(v) {
    var at = v.lastIndexOf("@");
    if (at < 1 || /\s/.test(v) || v.length > 254) return false;
    var d = v.slice(at + 1);
    return d.indexOf(".") > 0 && d.charAt(d.length - 1) !== "." && d.indexOf("..") < 0 &&
      /^[A-Za-z0-9.\-]+$/.test(d);
  }

  function phoneOk(v) {
    if (!/^[+\d\s().\-]+$/.test(v)) return false;
    var n = v.replace(/\D/g, "").length;
    return n >= 7 && n <= 15;
  }

  function css(s) {
    var r = String(Math.max(0, Math.min(24, parseInt(s.radius, 10) || 0))) + "px";
    var p = color(s.primary_color, "#4f46e5");
    return ":host{all:initial;display:block}" +
      ".f{font-family:" + (s.font || "system-ui, sans-serif").replace(/[^\w\s,'\-]/g, "") + ";color:" +
      color(s.text_color, "#111827") + ";background:" + color(s.background_color, "#ffffff") +
      ";border-radius:" + r + ";padding:16px;box-sizing:border-box;max-width:520px}" +
      ".w{margin-bottom:12px}label{display:block;font-size:14px;font-weight:600;margin-bottom:4px}" +
      "input[type=text],input[type=email],input[type=tel],select,textarea{width:100%;box-sizing:border-box;" +
      "padding:8px 10px;border:1px solid #cbd5e1;border-radius:" + r + ";font:inherit;color:#111827;background:#fff}" +
      "input:focus,select:focus,textarea:focus{outline:2px solid " + p + ";outline-offset:1px}" +
      ".bad{border-color:#dc2626!important}.e{color:#b91c1c;font-size:12px;margin-top:3px;min-height:0}" +
      ".c{display:flex;gap:8px;align-items:flex-start;font-weight:400}" +
      "button{width:100%;padding:10px 14px;border:0;border-radius:" + r + ";background:" + p +
      ";color:#fff;font:inherit;font-weight:600;cursor:pointer}button[disabled]{opacity:.6}" +
      ".ok{border:1px solid #86efac;background:#f0fdf4;color:#14532d;padding:14px;border-radius:" + r + "}" +
      ".hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}" +
      ".msg{color:#b91c1c;font-size:13px;margin-top:8px}";
  }

  function render(host, schema) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    while (root.firstChild) root.removeChild(root.firstChild);
    root.appendChild(el("style", {}, css(schema.styling || {})));
    var wrap = el("div", { "class": "f", part: "form" });
    var form = el("form", { novalidate: "", "data-testid": "af-form" });
    var T = schema.texts || {};
    var inputs = [];

    function check(f, input, errBox) {
      var v = f.type === "checkbox" ? (input.checked ? "true" : "") : input.value.trim();
      var msg = "";
      if (f.required && !v) msg = T.required;
      else if (v && f.max_length && v.length > f.max_length) msg = T.too_long;
      else if (v && f.type === "email" && !emailOk(v)) msg = T.invalid_email;
      else if (v && f.type === "phone" && !phoneOk(v)) msg = T.invalid_phone;
      else if (v && f.type === "select" && (f.options || []).indexOf(v) < 0) msg = T.invalid_choice;
      show(input, errBox, msg);
      return !msg;
    }

    function show(input, errBox, msg) {
      errBox.textContent = msg || "";
      if (msg) {
        input.classList.add("bad");
        input.setAttribute("aria-invalid", "true");
      } else {
        input.classList.remove("bad");
        input.removeAttribute("aria-invalid");
      }
    }

    (schema.fields || []).forEach(function (f, i) {
      var id = "af" + i;
      if (f.type === "hidden") {
        var h = el("input", { type: "hidden", name: f.name, value: f.value || "" });
        form.appendChild(h);
        inputs.push({ f: f, input: h, err: el("div") });
        return;
      }
      var w = el("div", { "class": "w" });
      var input;
      var label = f.label + (f.required ? " *" : "");
      if (f.type === "checkbox") {
        var lc = el("label", { "class": "c" });
        input = el("input", { type: "checkbox", name: f.name, id: id });
        lc.appendChild(input);
        lc.appendChild(el("span", {}, label));
        w.appendChild(lc);
      } else {
        w.appendChild(el("label", { "for": id }, label));
        if (f.type === "textarea") {
          input = el("textarea", { rows: "4", maxlength: f.max_length });
        } else if (f.type === "select") {
          input = el("select", {});
          input.appendChild(el("option", { value: "" }, f.placeholder || ""));
          (f.options || []).forEach(function (o) {
            input.appendChild(el("option", { value: o }, o));
          });
        } else {
          input = el("input", {
            type: f.type === "email" ? "email" : f.type === "phone" ? "tel" : "text",
            maxlength: f.max_length,
            autocomplete: f.type === "email" ? "email" : f.type === "phone" ? "tel" : null
          });
        }
        input.id = id;
        input.name = f.name;
        if (f.placeholder && f.type !== "select") input.placeholder = f.placeholder;
        w.appendChild(input);
      }
      input.setAttribute("data-testid", "af-field-" + f.name);
      var err = el("div", { "class": "e", role: "alert", "data-testid": "af-error-" + f.name });
      w.appendChild(err);
      form.appendChild(w);
      var item = { f: f, input: input, err: err, touched: false };
      inputs.push(item);
      input.addEventListener("input", function () {
        if (item.touched || input.classList.contains("bad")) check(f, input, err);
      });
      input.addEventListener("change", function () { item.touched = true; check(f, input, err); });
      input.addEventListener("blur", function () { item.touched = true; check(f, input, err); });
    });

    var consent = null;
    var consentErr = null;
    if (schema.consent_text) {
      var cw = el("div", { "class": "w" });
      var cl = el("label", { "class": "c" });
      consent = el("input", { type: "checkbox", name: "_consent", "data-testid": "af-consent" });
      cl.appendChild(consent);
      cl.appendChild(el("span", {}, schema.consent_text));
      cw.appendChild(cl);
      consentErr = el("div", { "class": "e", role: "alert" });
      cw.appendChild(consentErr);
      form.appendChild(cw);
    }
    var hpBox = el("div", { "class": "hp", "aria-hidden": "true" });
    var hp = el("input", { type: "text", name: schema.honeypot || "_hp", tabindex: "-1", autocomplete: "off" });
    hpBox.appendChild(hp);
    form.appendChild(hpBox);
    var button = el("button", { type: "submit", "data-testid": "af-submit" }, schema.button || "Enviar");
    form.appendChild(button);
    var msg = el("div", { "class": "msg", role: "alert" });
    form.appendChild(msg);
    wrap.appendChild(form);
    root.appendChild(wrap);

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      msg.textContent = "";
      var ok = true;
      var first = null;
      inputs.forEach(function (it) {
        if (it.f.type === "hidden") return;
        it.touched = true;
        if (!check(it.f, it.input, it.err)) {
          ok = false;
          first = first || it.input;
        }
      });
      if (consent) {
        show(consent, consentErr, consent.checked ? "" : T.consent_required);
        if (!consent.checked) { ok = false; first = first || consent; }
      }
      if (!ok) { if (first) first.focus(); return; }
      var body = {};
      var q = new URLSearchParams(window.location.search);
      inputs.forEach(function (it) {
        body[it.f.name] = it.f.type === "checkbox" ? it.input.checked :
          (it.f.type === "hidden" && q.get(it.f.name)) || it.input.value;
      });
      if (consent) body._consent = consent.checked;
      body._t = schema.token;
      body[schema.honeypot || "_hp"] = hp.value;
      UTM.forEach(function (k) { if (q.get(k)) body[k] = q.get(k); });
      if (document.referrer) body.referrer = document.referrer;
      body.landing_page = window.location.href;
      button.disabled = true;
      var label = button.textContent;
      button.textContent = T.sending || label;
      fetch(schema.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit"
      }).then(function (res) {
        return res.json().then(function (data) { return { status: res.status, data: data }; },
          function () { return { status: res.status, data: {} }; });
      }).then(function (r) {
        button.disabled = false;
        button.textContent = label;
        if (r.status === 200 && r.data.ok) {
          var url = r.data.redirect_url;
          if (url && /^https?:\/\//.test(url)) { window.location.href = url; return; }
          while (wrap.firstChild) wrap.removeChild(wrap.firstChild);
          wrap.appendChild(el("div", { "class": "ok", role: "status", "data-testid": "af-success" },
            r.data.message || T.thanks));
          return;
        }
        var fields = (r.data && r.data.fields) || {};
        var any = false;
        inputs.forEach(function (it) {
          if (fields[it.f.name]) { show(it.input, it.err, fields[it.f.name]); any = true; }
        });
        if (consent && fields._consent) { show(consent, consentErr, fields._consent); any = true; }
        if (!any) msg.textContent = (r.data && r.data.error) || T.failed;
      }, function () {
        button.disabled = false;
        button.textContent = label;
        msg.textContent = T.failed || "Error";
      });
    });
  }

  function load(host) {
    if (host.getAttribute("data-af-loaded")) return;
    host.setAttribute("data-af-loaded", "1");
    var id = host.getAttribute("data-af-form") || "";
    if (!/^[0-9a-fA-F-]{36}$/.test(id)) return;
    var lang = host.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "es";
    lang = lang.slice(0, 2).toLowerCase() === "en" ? "en" : "es";
    fetch(base + "/f/" + id + "/schema?lang=" + lang, { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (schema) { if (schema && schema.ok) render(host, schema); })
      .catch(function () { /* the host page keeps working without the form */ });
  }

  /* ------------------------------------------------------- calendars */

  function calendarCss(brand) {
    var p = color(brand, "#4f46e5");
    return ":host{all:initial;display:block}" +
      ".f{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;background:#fff;" +
      "border:1px solid #e2e8f0;border-radius:8px;padding:16px;box-sizing:border-box;max-width:560px}" +
      "h2{font-size:18px;margin:0 0 4px}h3{font-size:15px;margin:14px 0 8px}.m{font-size:13px;color:#475569;margin:0 0 8px}" +
      ".g{display:flex;flex-wrap:wrap;gap:6px}.g button{width:auto;background:#f1f5f9;color:#111827;border:1px solid #cbd5e1;" +
      "padding:8px 10px;border-radius:6px;font:inherit;font-size:14px;cursor:pointer}" +
      ".g button[aria-pressed=true]{background:" + p + ";border-color:" + p + ";color:#fff}" +
      ".w{margin-bottom:12px}label{display:block;font-size:14px;font-weight:600;margin-bottom:4px}" +
      "input[type=text],input[type=email],input[type=tel],select,textarea{width:100%;box-sizing:border-box;" +
      "padding:8px 10px;border:1px solid #cbd5e1;border-radius:6px;font:inherit;color:#111827;background:#fff}" +
      "input:focus,select:focus,textarea:focus,button:focus-visible{outline:2px solid " + p + ";outline-offset:1px}" +
      ".bad{border-color:#dc2626!important}.e{color:#b91c1c;font-size:12px;margin-top:3px}" +
      ".c{display:flex;gap:8px;align-items:flex-start;font-weight:400}" +
      ".b{width:100%;padding:10px 14px;border:0;border-radius:6px;background:" + p +
      ";color:#fff;font:inherit;font-weight:600;cursor:pointer}.b[disabled]{opacity:.6}" +
      ".ok{border:1px solid #86efac;background:#f0fdf4;color:#14532d;padding:14px;border-radius:6px}" +
      ".ok a{color:#14532d;display:block;margin-top:6px;word-break:break-all}" +
      ".msg{color:#b91c1c;font-size:13px;margin-top:8px}";
  }

  /* YYYY-MM-DD of now in `tz`, and `n` days after a date. */
  function today(tz) {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
        .format(new Date());
    } catch (e) {
      return new Date().toISOString().slice(0, 10);
    }
  }
  function addDays(day, n) {
    var d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function fieldInput(f, id) {
    var input;
    if (f.type === "textarea") {
      input = el("textarea", { rows: "3", maxlength: f.max_length });
    } else if (f.type === "select") {
      input = el("select", {});
      input.appendChild(el("option", { value: "" }, f.placeholder || ""));
      (f.options || []).forEach(function (o) { input.appendChild(el("option", { value: o }, o)); });
    } else {
      input = el("input", {
        type: f.type === "email" ? "email" : f.type === "phone" ? "tel" : "text",
        maxlength: f.max_length,
        inputmode: f.type === "number" ? "decimal" : null,
        autocomplete: f.type === "email" ? "email" : f.type === "phone" ? "tel" : f.name === "name" ? "name" : null
      });
    }
    input.id = id;
    input.name = f.name;
    if (f.placeholder && f.type !== "select") input.placeholder = f.placeholder;
    return input;
  }

  function renderCalendar(host, schema) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    while (root.firstChild) root.removeChild(root.firstChild);
    root.appendChild(el("style", {}, calendarCss(schema.brand_color)));
    var T = schema.texts || {};
    var tz = "";
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz = ""; }
    tz = tz || schema.time_zone;
    var wrap = el("div", { "class": "f", part: "calendar", "data-testid": "af-calendar" });
    wrap.appendChild(el("h2", {}, schema.name));
    wrap.appendChild(el("p", { "class": "m" }, schema.duration_minutes + " min · " + schema.location));
    wrap.appendChild(el("p", { "class": "m", "data-testid": "af-zone" }, T.time_zone + ": " + tz));
    var daysTitle = el("h3", {}, T.choose_day);
    var days = el("div", { "class": "g", role: "group", "data-testid": "af-days" });
    var timesTitle = el("h3", {}, T.choose_time);
    var times = el("div", { "class": "g", role: "group", "data-testid": "af-times" });
    var form = el("form", { novalidate: "", "data-testid": "af-booking-form" });
    var msg = el("div", { "class": "msg", role: "alert", "data-testid": "af-booking-message" });
    wrap.appendChild(daysTitle);
    wrap.appendChild(days);
    wrap.appendChild(timesTitle);
    wrap.appendChild(times);
    wrap.appendChild(form);
    wrap.appendChild(msg);
    root.appendChild(wrap);
    timesTitle.hidden = true;
    form.hidden = true;

    var chosen = null;
    var inputs = [];
    form.appendChild(el("h3", {}, T.your_details));
    (schema.fields || []).forEach(function (f, i) {
      var id = "afc" + i;
      var w = el("div", { "class": "w" });
      var label = f.label + (f.required ? " *" : "");
      var input;
      var boxes = [];
      if (f.type === "checkbox") {
        var lc = el("label", { "class": "c" });
        input = el("input", { type: "checkbox", name: f.name, id: id });
        lc.appendChild(input);
        lc.appendChild(el("span", {}, label));
        w.appendChild(lc);
      } else if (f.type === "multiselect") {
        var fs = el("fieldset", {});
        fs.appendChild(el("legend", {}, label));
        (f.options || []).forEach(function (o, j) {
          var l = el("label", { "class": "c" });
          var b = el("input", { type: "checkbox", name: f.name, value: o, id: id + "_" + j });
          boxes.push(b);
          l.appendChild(b);
          l.appendChild(el("span", {}, o));
          fs.appendChild(l);
        });
        w.appendChild(fs);
        input = fs;
      } else {
        w.appendChild(el("label", { "for": id }, label));
        input = fieldInput(f, id);
        w.appendChild(input);
      }
      input.setAttribute("data-testid", "af-field-" + f.name);
      var err = el("div", { "class": "e", role: "alert", "data-testid": "af-error-" + f.name });
      w.appendChild(err);
      form.appendChild(w);
      inputs.push({ f: f, input: input, boxes: boxes, err: err });
    });
    var button = el("button", { type: "submit", "class": "b", "data-testid": "af-book" }, T.book);
    form.appendChild(button);

    function show(item, text) {
      item.err.textContent = text || "";
      if (item.f.type === "multiselect") return;
      if (text) { item.input.classList.add("bad"); item.input.setAttribute("aria-invalid", "true"); }
      else { item.input.classList.remove("bad"); item.input.removeAttribute("aria-invalid"); }
    }
    function check(item) {
      var f = item.f;
      if (f.type === "multiselect") return true;
      var v = f.type === "checkbox" ? (item.input.checked ? "true" : "") : item.input.value.trim();
      var m = "";
      if (f.required && !v) m = T.required;
      else if (v && f.max_length && v.length > f.max_length) m = T.too_long;
      else if (v && f.type === "email" && !emailOk(v)) m = T.invalid_email;
      else if (v && f.type === "phone" && !phoneOk(v)) m = T.invalid_phone;
      else if (v && f.type === "number" && !/^-?\d+([.,]\d+)?$/.test(v)) m = T.invalid_number;
      show(item, m);
      return !m;
    }

    function pressed(group, button) {
      var all = group.querySelectorAll("button");
      for (var i = 0; i < all.length; i++) all[i].setAttribute("aria-pressed", all[i] === button ? "true" : "false");
    }

    function showTimes(list) {
      while (times.firstChild) times.removeChild(times.firstChild);
      chosen = null;
      form.hidden = true;
      timesTitle.hidden = false;
      list.forEach(function (s) {
        var b = el("button", { type: "button", "aria-pressed": "false", "data-testid": "af-time", "data-start": s.start }, s.label);
        b.addEventListener("click", function () {
          chosen = s.start;
          pressed(times, b);
          form.hidden = false;
          msg.textContent = "";
        });
        times.appendChild(b);
      });
    }

    function loadDays() {
      var from = today(tz);
      var span = Math.max(1, Math.min(61, (schema.horizon_days || 14)));
      var url = schema.slots_url + "?from=" + from + "&to=" + addDays(from, span) +
        "&time_zone=" + encodeURIComponent(tz) + "&lang=" + (schema.lang || "es");
      fetch(url, { credentials: "omit" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          while (days.firstChild) days.removeChild(days.firstChild);
          var byDay = {};
          var order = [];
          (data.slots || []).forEach(function (s) {
            var d = s.start.slice(0, 10);
            if (!byDay[d]) { byDay[d] = []; order.push(d); }
            byDay[d].push(s);
          });
          if (!order.length) { days.appendChild(el("p", { "class": "m" }, T.no_times)); return; }
          order.forEach(function (d) {
            var b = el("button", { type: "button", "aria-pressed": "false", "data-testid": "af-day", "data-day": d },
              byDay[d][0].day);
            b.addEventListener("click", function () { pressed(days, b); showTimes(byDay[d]); });
            days.appendChild(b);
          });
        })
        .catch(function () { msg.textContent = T.failed; });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      msg.textContent = "";
      if (!chosen) { msg.textContent = T.pick_a_time; return; }
      var ok = true;
      var first = null;
      inputs.forEach(function (it) { if (!check(it)) { ok = false; first = first || it.input; } });
      if (!ok) { if (first && first.focus) first.focus(); return; }
      var body = { start: chosen, time_zone: tz, answers: {}, attribution: {} };
      inputs.forEach(function (it) {
        var f = it.f;
        var v;
        if (f.type === "multiselect") {
          v = it.boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
        } else if (f.type === "checkbox") {
          v = it.input.checked;
        } else {
          v = it.input.value;
        }
        if (f.name === "name" || f.name === "email" || f.name === "phone") body[f.name] = v;
        else body.answers[f.name] = v;
      });
      var q = new URLSearchParams(window.location.search);
      UTM.forEach(function (k) { if (q.get(k)) body.attribution[k] = q.get(k); });
      if (document.referrer) body.attribution.referrer = document.referrer;
      body.attribution.landing_page = window.location.href;
      button.disabled = true;
      button.textContent = T.sending || T.book;
      fetch(schema.action + "?lang=" + (schema.lang || "es"), {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit"
      }).then(function (res) {
        return res.json().then(function (data) { return { status: res.status, data: data }; },
          function () { return { status: res.status, data: {} }; });
      }).then(function (r) {
        button.disabled = false;
        button.textContent = T.book;
        var d = r.data || {};
        if (r.status === 201 && d.ok) {
          while (wrap.firstChild) wrap.removeChild(wrap.firstChild);
          var box = el("div", { "class": "ok", role: "status", "data-testid": "af-booked" });
          box.appendChild(el("strong", {}, d.title));
          box.appendChild(el("p", { "data-testid": "af-booked-when" }, d.when + " (" + tz + ")"));
          if (d.location) box.appendChild(el("p", {}, d.location));
          if (d.message) box.appendChild(el("p", {}, d.message));
          box.appendChild(el("a", { href: d.google_url, target: "_blank", rel: "noopener" }, T.add_google));
          box.appendChild(el("a", { href: d.ics_url }, T.download_ics));
          box.appendChild(el("a", { href: d.manage_url, target: "_blank", rel: "noopener", "data-testid": "af-manage" }, T.manage_link));
          wrap.appendChild(box);
          return;
        }
        if (r.status === 409) {
          msg.textContent = (d.error && d.error.message) || T.failed;
          showTimes(d.next_slots || []);
          return;
        }
        var fields = d.fields || {};
        var any = false;
        inputs.forEach(function (it) { if (fields[it.f.name]) { show(it, fields[it.f.name]); any = true; } });
        if (!any) msg.textContent = (d.error && d.error.message) || T.failed;
      }, function () {
        button.disabled = false;
        button.textContent = T.book;
        msg.textContent = T.failed;
      });
    });

    loadDays();
  }

  function loadCalendar(host) {
    if (host.getAttribute("data-af-loaded")) return;
    host.setAttribute("data-af-loaded", "1");
    var ref = (host.getAttribute("data-af-calendar") || "").toLowerCase();
    if (!/^[a-z0-9-]{1,60}\/[a-z0-9-]{1,60}$/.test(ref)) return;
    var lang = host.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "es";
    lang = lang.slice(0, 2).toLowerCase() === "en" ? "en" : "es";
    fetch(base + "/book/" + ref + "/schema?lang=" + lang, { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (schema) { if (schema && schema.ok) renderCalendar(host, schema); })
      .catch(function () { /* the host page keeps working without the calendar */ });
  }

  function scan() {
    var hosts = document.querySelectorAll("[data-af-form]");
    for (var i = 0; i < hosts.length; i++) load(hosts[i]);
    var cals = document.querySelectorAll("[data-af-calendar]");
    for (var j = 0; j < cals.length; j++) loadCalendar(cals[j]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scan);
  } else {
    scan();
  }
})();

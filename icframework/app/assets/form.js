/* Runs in the page. Gives the form's widgets the roles and names ipywidgets does not give them, so that a screen
   reader hears the form as it is meant (icframework.app.form builds the widgets; nothing here saves anything):
   - each question's choices become one radio group named by the question: the radio buttons share a `name`, so
     the browser makes them one Tab stop with arrow keys moving (and choosing) within it;
   - each text field is named after its label and its question ("Evidence: <question>"), described by the
     visible help text above it, and takes at most window.icfMaxText characters (maxlength; the kernel checks too);
   - the save status (.icf-live) is a live region that announces "Saved" and failed saves;
   - a card's show/hide button says whether the card is open (aria-expanded);
   - the form (or the message a bad link gets) is the page's main landmark;
   - the tab's title is the form's heading ("Bristol: self-assessment");
   - the page's `lang` is the form's language, and each language button carries its own.
   Text is only read with textContent and written into attributes: never as markup. Re-applied whenever the widgets
   change (a section is shown, a card opens). */
(function () {
  if (window.icfEnhance) { return; }
  window.icfEnhance = true;

  function set(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }

  function card(c) {
    var q = c.querySelector(".icf-qtext");
    if (!q || !q.id) { return; }
    var question = q.textContent.trim();
    var box = c.querySelector(".widget-radio-box");
    if (box) {
      set(box, "role", "radiogroup");
      set(box, "aria-labelledby", q.id);
      box.querySelectorAll('input[type="radio"]').forEach(function (r) {
        if (r.name !== q.id) { r.name = q.id; }
      });
    }
    c.querySelectorAll(".icf-field").forEach(function (f) {
      var label = f.querySelector("label.widget-label");
      var input = f.querySelector("textarea, input");
      if (!label || !input) { return; }
      var max = window.icfMaxText;
      if (max && input.maxLength !== max) { input.maxLength = max; }
      set(input, "aria-label", label.textContent.trim() + ": " + question);
      var help = f.classList.contains("icf-evidence") ? c.querySelector(".icf-help[id]") : null;
      if (help) { set(input, "aria-describedby", help.id); }
    });
    var toggle = c.querySelector(".icf-toggle");
    if (toggle) { set(toggle, "aria-expanded", c.classList.contains("icf-open") ? "true" : "false"); }
  }

  function enhance() {
    scheduled = false;
    var h1 = document.querySelector(".icf-app h1");
    if (h1) {
      var title = h1.textContent.trim();
      if (title && document.title !== title) { document.title = title; }
    }
    document.querySelectorAll(".icf-app").forEach(function (app) {
      set(app, "role", "main");
      // the page's language is the form's (a class icf-lang-<code> the kernel sets), so it is read aloud right
      var lang = Array.prototype.find.call(app.classList, function (c) { return c.indexOf("icf-lang-") === 0; });
      if (lang) { set(document.documentElement, "lang", lang.slice(9)); }
    });
    // a language button is named in its own language: say so (WCAG 3.1.2)
    document.querySelectorAll(".icf-langbutton").forEach(function (b) {
      var lang = Array.prototype.find.call(b.classList, function (c) { return c.indexOf("icf-lang-") === 0; });
      if (lang) { set(b, "lang", lang.slice(9)); }
    });
    document.querySelectorAll(".icf-card").forEach(card);
    document.querySelectorAll(".icf-live .widget-html-content").forEach(function (el) {
      set(el, "role", "status");
      set(el, "aria-live", "polite");
    });
  }

  var scheduled = false;
  function schedule() {
    if (!scheduled) { scheduled = true; window.setTimeout(enhance, 0); }
  }
  new MutationObserver(schedule).observe(document.documentElement,
    { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
  schedule();
})();

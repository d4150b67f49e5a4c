// Behaviour every page shares. Loaded with defer from this origin (the CSP forbids inline script); each part
// is optional: without JavaScript the pages still work.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="ID"> copies the text of #ID and says so in its status line.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var id = button.getAttribute("data-copy");
    var source = document.getElementById(id);
    if (!source) return;
    var text = "value" in source && source.tagName === "INPUT" ? source.value : source.textContent;
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    var done = function (message) { if (status) status.textContent = message; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("Copied."); }, function () { select(source); done("Press Ctrl+C to copy."); });
    } else {
      select(source);
      try { done(document.execCommand("copy") ? "Copied." : "Press Ctrl+C to copy."); } catch (e) { done("Press Ctrl+C to copy."); }
    }
  });

  function select(element) {
    if (element.select) { element.focus(); element.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // The branch/tag selector: choosing a ref submits its GET form (the Go button does the same without script).
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  // After a refused form: focus the first field in error (or the form's error), so keyboard and screen-reader
  // users land on what needs fixing.
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector('[aria-invalid="true"]') || document.querySelector(".form-error");
    if (first) {
      if (!first.hasAttribute("tabindex") && !/^(INPUT|TEXTAREA|SELECT|BUTTON|A)$/.test(first.tagName)) first.setAttribute("tabindex", "-1");
      first.focus();
    }
  });

  // Tabs: <div data-tabs> with buttons [role=tab][aria-controls] and panels; arrow keys move between tabs.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tabs]").forEach(function (group) {
      var tabs = Array.prototype.slice.call(group.querySelectorAll('[role="tab"]'));
      function choose(tab, focus) {
        tabs.forEach(function (t) {
          var selected = t === tab;
          t.setAttribute("aria-selected", selected ? "true" : "false");
          t.tabIndex = selected ? 0 : -1;
          var panel = document.getElementById(t.getAttribute("aria-controls"));
          if (panel) panel.hidden = !selected;
        });
        if (focus) tab.focus();
      }
      tabs.forEach(function (tab, i) {
        tab.addEventListener("click", function () { choose(tab, false); });
        tab.addEventListener("keydown", function (e) {
          if (e.key === "ArrowRight") choose(tabs[(i + 1) % tabs.length], true);
          else if (e.key === "ArrowLeft") choose(tabs[(i - 1 + tabs.length) % tabs.length], true);
        });
      });
      var initial = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0] || tabs[0];
      if (initial) choose(initial, false);
    });
  });
})();

// The Copy buttons of the repository page: each copies the value of the read-only input its data-copy
// names, and says so in the element its data-status names. Without this script the buttons stay hidden
// and the address can still be selected by hand.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!input) return;
    input.addEventListener("focus", function () { input.select(); });

    // navigator.clipboard exists only in secure contexts (HTTPS, or localhost); elsewhere the older
    // execCommand copies the selection.
    function fallback() {
      input.focus();
      input.select();
      try { return document.execCommand("copy"); } catch (e) { return false; }
    }
    function done(ok) {
      if (status) status.textContent = ok ? "Copied." : "Could not copy: select the address and copy it yourself.";
    }

    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(fallback()); });
      } else {
        done(fallback());
      }
    });
  });
})();

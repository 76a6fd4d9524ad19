// Credo portal: progressive enhancement only; every page works without this file.
// "Copy" buttons (hidden until this runs) copy the text of the element they name.
(function () {
  "use strict";
  function copied(button, text) {
    var label = button.textContent;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 1500);
  }
  function fallback(target) {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand && document.execCommand("copy");
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button, "Copied"); },
          function () { copied(button, fallback(target) ? "Copied" : "Select and copy"); });
      } else {
        copied(button, fallback(target) ? "Copied" : "Select and copy");
      }
    });
  });
}());

// Progressive enhancement only: the page works without this file.
// - a "Copy the paragraph" button for the proposal text;
// - focus on the error summary, and its links move focus to the field they name.
(function () {
  "use strict";
  document.body.classList.add("js-enabled");

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // older browsers, or plain http on another host: copy from a hidden text area
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "rc-offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentNode.querySelector(".rc-copy__status");
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(target.textContent).then(function () {
        if (status) { status.textContent = "Paragraph copied. Paste it into the report."; }
      }, function () {
        if (status) { status.textContent = "Could not copy: select the paragraph and copy it by hand."; }
      });
    });
  });

  var summary = document.querySelector(".govuk-error-summary");
  if (summary) {
    summary.focus();
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var input = document.getElementById(link.getAttribute("href").slice(1));
        if (!input) { return; }
        event.preventDefault();
        // show the question as well as the box: scroll to its legend or label, then focus the box
        var legend = input.closest("fieldset") && input.closest("fieldset").querySelector("legend");
        var label = legend || document.querySelector("label[for='" + input.id + "']");
        (label || input).scrollIntoView();
        input.focus({ preventScroll: true });
      });
    });
  }
})();

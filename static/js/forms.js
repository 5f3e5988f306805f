// After a form is sent with mistakes: put the focus on the list of problems, so that a screen
// reader reads it and the keyboard starts there; and let each of its links put the focus in the
// field it names (without this, a browser only scrolls to the field). Without JavaScript the
// list is still announced (role="alert") and its links still lead to the fields.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#"]');
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    var field = target.matches("input, select, textarea")
      ? target : target.querySelector("input, select, textarea");
    if (!field) { return; }
    event.preventDefault();
    (target.closest(".field") || target).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();

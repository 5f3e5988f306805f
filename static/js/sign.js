// Progressive enhancement of the sign form: show only the sections for the chosen kind of
// signatory. Without JavaScript every section is shown, each saying whom it is for.
(function () {
  "use strict";
  var form = document.querySelector(".sign-form");
  if (!form) { return; }
  var radios = form.querySelectorAll('input[name="kind"]');
  var groups = form.querySelectorAll("fieldset[data-kinds]");

  function update() {
    var chosen = form.querySelector('input[name="kind"]:checked');
    var kind = chosen ? chosen.value : null;
    groups.forEach(function (group) {
      var kinds = group.getAttribute("data-kinds").split(" ");
      group.hidden = kind === null || kinds.indexOf(kind) === -1;
    });
    form.classList.toggle("kind-chosen", kind !== null);
  }

  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();

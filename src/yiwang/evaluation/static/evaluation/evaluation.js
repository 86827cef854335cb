// The evaluation form: the region level only matters when regions are ranked.
(function () {
  "use strict";
  const subject = document.getElementById("id_subject");
  const level = document.getElementById("id_level");
  if (!subject || !level) return;
  const label = level.closest("label");
  function sync() {
    if (label) label.hidden = subject.value !== "region";
  }
  subject.addEventListener("change", sync);
  sync();
})();

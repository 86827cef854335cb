// Case search: the extra filters start open on wide screens (phones keep them folded).
(function () {
  "use strict";
  var more = document.getElementById("more-filters");
  if (more && window.matchMedia("(min-width: 801px)").matches) more.open = true;
})();

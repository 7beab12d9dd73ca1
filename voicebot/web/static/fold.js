// Filters stay folded on small screens and open on wide ones (without JavaScript: folded, one click opens them).
"use strict";
(function () {
  var wide = window.matchMedia("(min-width: 40rem)");
  document.querySelectorAll("details.fold").forEach(function (fold) {
    if (wide.matches) { fold.open = true; }
  });
})();

// Small screens: the navigation folds into a "Menü" and the call filters stay folded; wide screens open both.
// Without JavaScript both stay open or folded as the page was sent (everything still works).
"use strict";
(function () {
  var wide = window.matchMedia("(min-width: 40rem)").matches;
  document.querySelectorAll("details.fold").forEach(function (fold) {
    if (wide) { fold.open = true; }
  });
  document.querySelectorAll("details.nav-menu").forEach(function (menu) {
    menu.open = wide;
  });
})();

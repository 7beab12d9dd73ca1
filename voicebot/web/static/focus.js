// After saving (or a refused form) the keyboard focus moves to the confirmation or the error list.
"use strict";
(function () {
  var target = document.querySelector("[data-focus]");
  if (target) { target.focus(); }
})();

// Admin topic form: the answer's estimated speaking time while typing (the server computes the same on
// "Länge prüfen" and on saving; this only repeats it live). Placeholders count with their filled-in length.
"use strict";
(function () {
  var field = document.getElementById("answer");
  var out = document.getElementById("answer-length-text");
  var box = document.getElementById("answer-length");
  if (!field || !out || !box) { return; }
  var rate = parseFloat(field.getAttribute("data-rate")) || 13;
  var limit = parseFloat(field.getAttribute("data-limit")) || 25;
  var facts = {};
  try { facts = JSON.parse(field.getAttribute("data-facts") || "{}"); } catch (e) { facts = {}; }

  function update() {
    var text = field.value.split(/\s+/).filter(Boolean).join(" ");
    var length = text.replace(/\{([a-z_]+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(facts, name) ? new Array(facts[name] + 1).join("x") : all;
    }).length;
    var seconds = length / rate;
    var over = seconds > limit;
    var shown = over ? Math.max(Math.ceil(seconds), Math.floor(limit) + 1) : Math.round(seconds);
    var message = "etwa " + shown + " Sekunden – erlaubt sind höchstens " + limit;
    out.textContent = over ? "Die Antwort ist zu lang zum Vorlesen: " + message + ". Bitte kürzen oder den Rest unter „Mehr dazu“ schreiben." : message;
    box.classList.toggle("over", over);
  }
  field.addEventListener("input", update);
})();

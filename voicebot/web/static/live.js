// Live page: asks /api/live every few seconds and redraws the list (text only, never HTML from the server).
"use strict";
(function () {
  var box = document.getElementById("live-list");
  var note = document.getElementById("live-updated");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-poll"), 10) || 3;
  var FIELDS = [["topic", "Thema"], ["department", "Abteilung"], ["words", "Anrufer sagte"], ["doing", "Bot"], ["reason", "Grund"]];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function card(call) {
    var li = el("li", "card live-call " + call.state);
    li.setAttribute("data-call", call.id);
    var h2 = el("h2");
    h2.appendChild(el("span", "badge badge-" + (call.state === "live" ? "open" : call.state), call.status));
    h2.appendChild(document.createTextNode(" seit " + call.started + (call.ended ? " · bis " + call.ended : "") + " · " + call.caller));
    li.appendChild(h2);
    var dl = el("dl", "facts");
    FIELDS.forEach(function (pair) {
      var value = call[pair[0]];
      if (!value) { return; }
      dl.appendChild(el("dt", "", pair[1]));
      dl.appendChild(el("dd", "", pair[0] === "words" ? "„" + value + "“" : value));
    });
    li.appendChild(dl);
    var p = el("p");
    var a = el("a", "", "Gesprächsverlauf");
    a.href = "/calls/" + encodeURIComponent(call.id);
    p.appendChild(a);
    li.appendChild(p);
    return li;
  }

  function draw(calls) {
    var list = el("ul", "live");
    calls.forEach(function (call) { list.appendChild(card(call)); });
    box.replaceChildren();
    if (!calls.length) { box.appendChild(el("p", "card", "Gerade keine Anrufe.")).id = "live-empty"; }
    box.appendChild(list);
  }

  function poll() {
    fetch("/api/live", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        draw(data.calls);
        if (note) { note.textContent = "Aktualisiert um " + data.updated + "."; }
      })
      .catch(function () {
        if (note) { note.textContent = "Aktualisierung gestört – bitte „Neu laden“."; }
      })
      .finally(function () { window.setTimeout(poll, seconds * 1000); });
  }
  window.setTimeout(poll, seconds * 1000);
})();

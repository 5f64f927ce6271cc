// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="#selector">. A field gives its value;
  // another element (a list of recovery codes) its text, an item a line.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-copy]");
    if (!b) return;
    var el = document.querySelector(b.getAttribute("data-copy"));
    if (!el) return;
    var field = typeof el.select === "function";
    var text = field ? el.value : el.innerText;
    var done = function () { var t = b.textContent; b.textContent = b.getAttribute("data-copied") || "✓"; setTimeout(function () { b.textContent = t; }, 1500); };
    var bySelection = function () {
      if (field) { el.select(); } else {
        var r = document.createRange(); r.selectNodeContents(el);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
      }
      document.execCommand("copy"); done();
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, bySelection);
    } else { bySelection(); }
  });
  // Confirm dangerous forms: <form data-confirm="question">.
  document.addEventListener("submit", function (ev) {
    var q = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) ev.preventDefault();
  });
  // Live status: <table data-poll="/url"> rows carry data-link; the endpoint
  // returns {links:[{id, html}], connection:"..."}; a change of connection
  // reloads the page so the new state shows everywhere.
  var poll = document.querySelector("[data-poll]");
  if (poll) {
    var url = poll.getAttribute("data-poll"), conn = null;
    var tick = function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          (j.links || []).forEach(function (l) {
            var cell = document.querySelector('tr[data-link="' + l.id + '"] .link-status');
            if (cell && (cell.getAttribute("data-state") !== l.state || (cell.getAttribute("data-then") || "") !== (l.then_state || ""))) {
              cell.setAttribute("data-state", l.state);
              if (l.then_state) cell.setAttribute("data-then", l.then_state);
              cell.innerHTML = "";
              var s = document.createElement("span");
              s.className = "badge badge-" + l.state; s.textContent = l.label; cell.appendChild(s);
              if (l.reason) { var r = document.createElement("span"); r.className = "reason"; r.textContent = " — " + l.reason; cell.appendChild(r); }
              // A link of two steps: its second step's own line.
              if (l.then) { cell.appendChild(document.createElement("br")); var th = document.createElement("span"); th.className = "small then then-" + l.then_state; th.textContent = l.then; cell.appendChild(th); }
            }
          });
          if (conn !== null && j.connection !== conn) {
            // The connection changed: swap in the company's section as the
            // server now renders it, without reloading the page.
            fetch(window.location.pathname, { credentials: "same-origin" })
              .then(function (r) { return r.ok ? r.text() : null; })
              .then(function (html) {
                if (!html) return;
                var doc = new DOMParser().parseFromString(html, "text/html");
                var fresh = doc.querySelector("section.connector"), old = document.querySelector("section.connector");
                if (fresh && old) old.replaceWith(fresh);
              });
          }
          conn = j.connection;
        })
        .catch(function () {})
        .finally(function () { setTimeout(tick, 2000); });
    };
    setTimeout(tick, 1000);
  }
  // Sync progress: <div data-sync-poll="/url"> reloads when the sync ends.
  var sp = document.querySelector("[data-sync-poll]");
  if (sp) {
    var surl = sp.getAttribute("data-sync-poll");
    var stick = function () {
      fetch(surl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          var bar = sp.querySelector("progress"), txt = sp.querySelector(".progress-text");
          // Indeterminate (no value) until the total is known: a share of
          // an unknown total would be made up.
          if (bar && j.determinate) { bar.max = j.total; bar.value = Math.min(j.fetched, j.total); }
          else if (bar) { bar.removeAttribute("value"); }
          if (txt) txt.textContent = j.text;
          if (!j.running) { window.location.reload(); return; }
          setTimeout(stick, 1500);
        }).catch(function () { setTimeout(stick, 3000); });
    };
    setTimeout(stick, 1500);
  }
})();

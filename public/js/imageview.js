// The image page inside the voucher page's frame: zoom, rotate and pan.
// The image is laid out at its displayed size (not merely transformed), so
// the pane scrolls over all of it and a rotated image never leaves its box
// or covers the toolbar.
(function () {
  "use strict";
  var img = document.getElementById("docimg");
  var tools = document.querySelector(".imgtools");
  var pane = document.querySelector(".imgpane");
  var box = document.querySelector(".imgbox");
  if (!img || !tools || !pane || !box) return;
  var zoom = 1, turn = 0;

  function layout() {
    var w = img.naturalWidth, h = img.naturalHeight;
    if (!w || !h) return;
    var side = turn % 180 !== 0;
    var rw = side ? h : w, rh = side ? w : h;
    // Zoom 1 fits the (rotated) image to the pane's width, never larger
    // than its own pixels.
    var s = Math.min(pane.clientWidth / rw, 1) * zoom;
    box.style.width = rw * s + "px";
    box.style.height = rh * s + "px";
    img.style.width = w * s + "px";
    img.style.height = h * s + "px";
    img.style.maxWidth = "none";
    var moves = { 0: "", 90: "translate(" + h * s + "px,0) ", 180: "translate(" + w * s + "px," + h * s + "px) ", 270: "translate(0," + w * s + "px) " };
    img.style.transform = moves[turn] + "rotate(" + turn + "deg)";
  }

  tools.hidden = false;
  tools.addEventListener("click", function (ev) {
    var b = ev.target.closest("button[data-act]");
    if (!b) return;
    var a = b.getAttribute("data-act");
    if (a === "in") zoom = Math.min(8, zoom * 1.25);
    else if (a === "out") zoom = Math.max(0.25, zoom / 1.25);
    else if (a === "rot") turn = (turn + 90) % 360;
    else { zoom = 1; turn = 0; }
    layout();
  });
  if (img.complete) layout(); else img.addEventListener("load", layout);
  window.addEventListener("resize", layout);

  // Drag to pan a zoomed image.
  var drag = null;
  pane.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, left: pane.scrollLeft, top: pane.scrollTop };
    pane.setPointerCapture(ev.pointerId);
    pane.classList.add("panning");
  });
  pane.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    pane.scrollLeft = drag.left - (ev.clientX - drag.x);
    pane.scrollTop = drag.top - (ev.clientY - drag.y);
  });
  function stop() { drag = null; pane.classList.remove("panning"); }
  pane.addEventListener("pointerup", stop);
  pane.addEventListener("pointercancel", stop);
})();

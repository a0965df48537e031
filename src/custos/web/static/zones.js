// Drawing a privacy zone with the mouse: each click on the picture adds a corner, as fractions
// of the picture's width and height, to the form's corners field; the polygon is drawn as it
// grows. Typing the corners in the field draws them too.
(function () {
  const svg = document.getElementById("zones-picture");
  const field = document.getElementById("zone-points");
  const drawing = document.getElementById("drawing");
  if (!svg || !field || !drawing) return;
  const aspect = Number(svg.dataset.aspect);

  function corners() {
    return field.value.trim().split(/\s+/).filter(Boolean).map(function (pair) {
      return pair.split(",").map(Number);
    }).filter(function (xy) { return xy.length === 2 && xy.every(isFinite); });
  }

  function draw() {
    drawing.setAttribute("points", corners().map(function (xy) { return xy[0] + "," + xy[1] * aspect; }).join(" "));
  }

  svg.addEventListener("click", function (event) {
    const box = svg.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    field.value = (field.value.trim() + " " + x.toFixed(3) + "," + y.toFixed(3)).trim();
    draw();
  });
  field.addEventListener("input", draw);
  document.getElementById("zone-clear").addEventListener("click", function () {
    field.value = "";
    draw();
  });
  draw();
})();

// Draw every Plotly figure whose JSON the page carries (no inline scripts: CSP).
(function () {
  "use strict";
  function draw(root) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source || !window.Plotly) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.react(el, figure.data, figure.layout, {
        displaylogo: false, responsive: true,
        modeBarButtonsToRemove: ["select2d", "lasso2d"]
      }).then(function () { clickable(el); });
      el.dataset.drawn = "true";
    });
  }
  // --- portfolio matrix: a click on a bubble opens its page; movement arrows toggle ---
  function clickable(el) {
    if (el.dataset.click !== "url" || el.dataset.clickBound) { return; }
    el.dataset.clickBound = "true";
    el.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var url = point && point.customdata && point.customdata[0];
      if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") {
        window.location.assign(url);
      }
    });
  }
  function showMovement(el, movement) {
    var notes = (el.layout && el.layout.annotations) || [];
    var update = {};
    notes.forEach(function (note, i) {
      if (note.name === "move-key" || note.name === "move-other") {
        update["annotations[" + i + "].visible"] =
          movement === "all" || (movement === "key" && note.name === "move-key");
      }
    });
    el.dataset.movement = movement;
    return window.Plotly.relayout(el, update);
  }
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.dataset || !select.dataset.movementToggle) { return; }
    var el = document.getElementById(select.dataset.movementToggle);
    if (el && el.dataset.drawn && window.Plotly) { showMovement(el, select.value); }
  });
  // charts marked data-print-width take the printed page's width while printing
  function printWidth(printing) {
    document.querySelectorAll("[data-print-width][data-drawn]").forEach(function (el) {
      if (!window.Plotly) { return; }
      window.Plotly.relayout(el, printing
        ? { width: parseInt(el.dataset.printWidth, 10), autosize: false }
        : { width: null, autosize: true });
    });
  }
  window.addEventListener("beforeprint", function () { printWidth(true); });
  window.addEventListener("afterprint", function () { printWidth(false); });
  // --- end portfolio matrix ---
  // the period form asks for a year or a range, not both: picking one clears the other
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.form;
    if (!form || !form.classList.contains("period") || !field.value) { return; }
    if (field.name === "year") {
      form.elements.date_from.value = "";
      form.elements.date_to.value = "";
    } else if (field.name === "date_from" || field.name === "date_to") {
      form.elements.year.value = "";
    }
  });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();

// Running weighted total on the score form: Σ weight × (value − min) / (max − min).
// The server recomputes the total on save; this is only a convenience for the reviewer.
(function () {
  "use strict";
  var form = document.getElementById("score-form");
  var output = document.getElementById("review-total");
  if (!form || !output) return;
  function recompute() {
    var total = 0;
    form.querySelectorAll("input.review-score").forEach(function (input) {
      var value = parseFloat(input.value);
      var min = parseFloat(input.dataset.min);
      var max = parseFloat(input.dataset.max);
      if (input.dataset.independent === "1" || isNaN(value) || value < min || value > max) return;
      total += parseFloat(input.dataset.weight) * (value - min) / (max - min);
    });
    output.textContent = (Math.round(total * 100) / 100).toString();
  }
  form.addEventListener("input", recompute);
  recompute();
})();

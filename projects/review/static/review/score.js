// Running weighted total on the score form: Σ weight × (value − min) / (max − min).
// The server recomputes the total on save (projects.review.services.weighted_total): to the
// cent, halves rounded up. Binary floating point stores 2.675 as 2.67499…, so the value is
// nudged by far less than a cent before rounding to land on the same cent as the server.
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
    output.textContent = (Math.round(total * 100 + 1e-6) / 100).toString();
  }
  form.addEventListener("input", recompute);
  recompute();
})();

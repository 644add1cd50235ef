// Narrows a community picker to the chosen sub-district (progressive enhancement:
// without this script every community stays listed and the server checks the pair).
// Markup: <select name="region"> and <select name="community"> in one form, options
// carrying data-parent (organizations/region_choices.py).
(function () {
  "use strict";
  function narrow(region, community) {
    var street = region.value;
    var groups = community.querySelectorAll("optgroup");
    Array.prototype.forEach.call(community.options, function (option) {
      if (!option.value) { return; }
      var hide = Boolean(street) && option.getAttribute("data-parent") !== street;
      option.hidden = hide;
      option.disabled = hide;
      if (hide && option.selected) { community.value = ""; }
    });
    Array.prototype.forEach.call(groups, function (group) {
      var shown = group.querySelector("option:not([hidden])");
      group.hidden = !shown;
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    var region = form.querySelector('select[name="region"]');
    var community = form.querySelector('select[name="community"]');
    if (!region || !community) { return; }
    region.addEventListener("change", function () { narrow(region, community); });
    narrow(region, community);
  });
})();

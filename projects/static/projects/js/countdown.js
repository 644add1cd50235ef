// Live countdown for call pages; the server-rendered text stays when JS is off.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-Hans";
  var zh = lang.indexOf("zh") === 0;
  function fmt(total) {
    var d = Math.floor(total / 86400), h = Math.floor((total % 86400) / 3600);
    var m = Math.floor((total % 3600) / 60), s = total % 60;
    if (zh) {
      return (d ? d + " 天 " : "") + (d || h ? h + " 小时 " : "") + m + " 分 " + s + " 秒";
    }
    return (d ? d + (d === 1 ? " day " : " days ") : "") +
      (d || h ? h + (h === 1 ? " hour " : " hours ") : "") +
      m + (m === 1 ? " minute " : " minutes ") + s + (s === 1 ? " second" : " seconds");
  }
  document.querySelectorAll("[data-deadline]").forEach(function (el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    var out = el.querySelector("[data-countdown]");
    if (!out || isNaN(deadline)) { return; }
    function tick() {
      var left = Math.floor((deadline - Date.now()) / 1000);
      if (left <= 0) {
        el.textContent = el.getAttribute("data-done-text");
        clearInterval(timer);
        return;
      }
      out.textContent = fmt(left);
    }
    var timer = setInterval(tick, 1000);
    tick();
  });
})();

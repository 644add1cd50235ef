// WeChat Pay JSAPI (inside WeChat): hand the server-signed parameters to WeixinJSBridge,
// which WeChat's browser provides, to open WeChat's own payment sheet. The page's poll
// (payment-status.js) moves on once the server knows the gift is paid; a successful
// sheet goes to the status page at once. Outside WeChat there is no bridge: say so.
(function () {
  "use strict";
  var data = document.getElementById("wechat-pay-parameters");
  var button = document.getElementById("wechat-pay-button");
  if (!data || !button) { return; }
  var parameters = JSON.parse(data.textContent);
  var next = document.querySelector("[data-next-url]");
  function show(id) {
    var el = document.getElementById(id);
    if (el) { el.hidden = false; }
  }
  function pay() {
    if (typeof window.WeixinJSBridge === "undefined") {
      show("wechat-pay-outside");
      return;
    }
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", parameters, function (res) {
      if (res && res.err_msg === "get_brand_wcpay_request:ok") {
        if (next) { window.location.assign(next.getAttribute("data-next-url")); }
      } else if (res && res.err_msg !== "get_brand_wcpay_request:cancel") {
        show("wechat-pay-failed");
      }
    });
  }
  button.addEventListener("click", pay);
  if (typeof window.WeixinJSBridge === "undefined") {
    document.addEventListener("WeixinJSBridgeReady", pay, false);
    window.setTimeout(function () {
      if (typeof window.WeixinJSBridge === "undefined") { show("wechat-pay-outside"); }
    }, 1500);
  } else {
    pay();
  }
})();

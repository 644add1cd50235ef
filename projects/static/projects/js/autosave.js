// Autosave for application steps. Without JS the "Save draft" button does the same.
// A copy of the form also lives in localStorage until the server confirms it, so an
// expired session or a lost connection never loses what was typed.
(function () {
  "use strict";
  var form = document.getElementById("step-form");
  if (!form || !form.dataset.autosaveUrl) { return; }
  var url = form.dataset.autosaveUrl;
  var key = form.dataset.storageKey;
  var status = form.querySelector("[data-autosave-status]");
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var text = zh ? {
    saving: "正在保存草稿…", saved: "草稿已自动保存 ", failed: "自动保存失败，内容已保存在本浏览器中；请点击“保存草稿”。",
    restored: "已恢复您上次未保存到服务器的输入。"
  } : {
    saving: "Saving draft…", saved: "Draft saved automatically at ",
    failed: "Autosave failed; your input is kept in this browser. Please press “Save draft”.",
    restored: "Restored what you typed last time that had not reached the server."
  };
  var timer = null, dirty = false, inFlight = false;

  function fields() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") { return; }
      if ((el.type === "checkbox" || el.type === "radio")) {
        data[el.name + "::" + el.value] = el.checked;
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }
  function remember() {
    try { localStorage.setItem(key, JSON.stringify(fields())); } catch (e) { /* full */ }
  }
  function forget() { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }
  function restore() {
    var saved;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (!saved) { return; }
    var changed = false;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        var k = el.name + "::" + el.value;
        if (k in saved && el.checked !== saved[k]) { el.checked = saved[k]; changed = true; }
      } else if (el.name in saved && el.value !== saved[el.name] && el.name.indexOf("TOTAL_FORMS") < 0) {
        el.value = saved[el.name]; changed = true;
      }
    });
    if (changed) { status.textContent = text.restored; dirty = true; schedule(); }
  }
  function save() {
    if (!dirty || inFlight) { return; }
    inFlight = true; dirty = false;
    status.textContent = text.saving;
    fetch(url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}, redirect: "error"
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      inFlight = false;
      if (res.ok && res.body.saved) {
        status.textContent = text.saved + res.body.saved_at;
        if (res.body.totals) {
          Object.keys(res.body.totals).forEach(function (k) {
            var cell = form.querySelector('[data-total="' + k + '"]');
            if (cell) { cell.textContent = res.body.totals[k]; }
          });
        }
        if (!dirty) { forget(); }
      } else {
        status.textContent = (res.body && res.body.error) || text.failed;
        dirty = true;
      }
    }).catch(function () {
      inFlight = false; dirty = true; status.textContent = text.failed;
    });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  }
  form.addEventListener("input", function () { dirty = true; remember(); schedule(); });
  form.addEventListener("change", function () { dirty = true; remember(); schedule(); });
  form.addEventListener("focusout", function () { if (dirty) { clearTimeout(timer); save(); } });
  form.addEventListener("submit", function () { clearTimeout(timer); });
  restore();
})();

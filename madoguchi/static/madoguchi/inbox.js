// 「その他の条件」 stays as the clerk left it: open or closed, remembered in this browser.
// A condition in use opens it whatever was remembered (the server marks it open).
(function () {
  "use strict";
  document.querySelectorAll("details[data-remember]").forEach(function (panel) {
    var key = "madoguchi:" + panel.dataset.remember;
    if (!panel.open && window.localStorage.getItem(key) === "open") {
      panel.open = true;
    }
    panel.addEventListener("toggle", function () {
      window.localStorage.setItem(key, panel.open ? "open" : "closed");
    });
  });
})();

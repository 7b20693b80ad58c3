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

// The search box asks as the clerk types (the form's "input changed delay:400ms"). Leaving the
// box — by pressing the mouse on a result — also fires "change", which asked the same question
// again; its answer replaced the list while the button was still down, the press and the
// release then fell on two different links, and the click was lost: the clerk stayed on the
// list. The box's "change" therefore stops before the form's trigger.
//
// While an IME composes (a name typed in kana, its kanji being chosen) the list waits, and is
// asked once for what was chosen: Chromium marks every input of a composition, the last one
// included, and ends it with "compositionend", which asks.
(function () {
  "use strict";
  var search = document.getElementById("id_q");
  if (!search) {
    return;
  }
  search.addEventListener("change", function (event) {
    event.stopPropagation();
  });
  document.addEventListener(
    "input",
    function (event) {
      if (event.target === search && event.isComposing) {
        event.stopPropagation();
      }
    },
    true
  );
  search.addEventListener("compositionend", function () {
    search.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

// The same loss by the clock: the list narrows 400 ms after the last key, and on a busy server
// its answer may land while the button is down on a row. An answer for the list waits for the
// release; it is asked again then if the press opened nothing, so the list the clerk typed for
// still comes (a press that opened a row asks nothing more of a busy server). The row opened
// from the earlier list shows no 前へ/次へ when the held answer's list does not hold it.
(function () {
  "use strict";
  var results = document.getElementById("results");
  var form = document.querySelector("form.filters");
  if (!results || !form) {
    return;
  }
  var pressed = false;
  var waiting = false;
  var leaving = false;
  results.addEventListener("pointerdown", function () {
    pressed = true;
    leaving = false;
  });
  window.addEventListener("beforeunload", function () {
    leaving = true;
  });
  function released() {
    pressed = false;
    if (waiting) {
      waiting = false;
      window.setTimeout(function () {
        if (!leaving) {
          window.htmx.trigger(form, "submit");
        }
      }, 0);
    }
  }
  document.addEventListener("pointerup", released, true);
  document.addEventListener("pointercancel", released, true);
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (pressed && event.detail.target === results) {
      event.detail.shouldSwap = false;
      waiting = true;
    }
  });
})();

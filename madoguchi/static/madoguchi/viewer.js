// The attachment beside the form (detail page, from 1280 px wide): page pictures of a PDF
// or an image, with paging, zoom, rotation and a loading indicator; and the page's keyboard
// shortcuts (j/k next and previous application, s the status panel, ] [ + - r the viewer).
(function () {
  "use strict";
  var viewer = document.querySelector("aside.viewer");
  var img = viewer && viewer.querySelector("img");
  var status = viewer && viewer.querySelector("[data-viewer-status]");
  var state = { button: null, page: 1, pages: 1, zoom: 1, rotation: 0 };

  function label() {
    if (!state.button) { return ""; }
    var name = state.button.textContent;
    return state.button.dataset.pages
      ? name + " " + state.page + " / " + state.pages + " " + viewer.dataset.page
      : name;
  }
  function source() {
    var b = state.button;
    return b.dataset.src || b.dataset.pageUrl.replace(/\/1\.png$/, "/" + state.page + ".png");
  }
  function draw() {
    img.style.width = (state.zoom * 100) + "%";
    img.style.transform = state.rotation ? "rotate(" + state.rotation + "deg)" : "";
  }
  function load() {
    status.textContent = viewer.dataset.loading;
    img.hidden = true;
    img.src = source();
    draw();
  }
  function choose(button) {
    viewer.querySelectorAll("[data-index]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    state.button = button;
    state.page = 1;
    state.pages = 1;
    state.rotation = 0;
    if (button.dataset.pages) {
      status.textContent = viewer.dataset.loading;
      fetch(button.dataset.pages, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (found) { state.pages = Math.max(1, found.pages); load(); })
        .catch(function () { status.textContent = viewer.dataset.failed; });
    } else {
      load();
    }
  }
  function turn(step) {
    if (!state.button) { return; }
    var page = state.page + step;
    if (page < 1 || page > state.pages) { status.textContent = viewer.dataset.last; return; }
    state.page = page;
    load();
  }
  var actions = {
    previous: function () { turn(-1); },
    next: function () { turn(1); },
    "zoom-in": function () { state.zoom = Math.min(3, state.zoom + 0.25); draw(); },
    "zoom-out": function () { state.zoom = Math.max(0.5, state.zoom - 0.25); draw(); },
    rotate: function () { state.rotation = (state.rotation + 90) % 360; draw(); }
  };

  if (viewer) {
    img.addEventListener("load", function () { img.hidden = false; status.textContent = label(); });
    img.addEventListener("error", function () { status.textContent = viewer.dataset.failed; });
    viewer.querySelectorAll("[data-index]").forEach(function (b) {
      b.addEventListener("click", function () { choose(b); });
    });
    viewer.querySelectorAll("[data-action]").forEach(function (b) {
      b.addEventListener("click", function () { actions[b.dataset.action](); });
    });
    // Beside the form, the first attachment is shown at once; stacked below it, on demand.
    var first = viewer.querySelector("[data-index]");
    if (first && window.matchMedia("(min-width: 1280px)").matches) { choose(first); }
  }

  var keys = { "]": "next", "[": "previous", "+": "zoom-in", "-": "zoom-out", r: "rotate" };
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey ||
        target.closest("input, textarea, select, [contenteditable]")) { return; }
    var link = document.querySelector("[data-shortcut='" + event.key + "']");
    if (link) {
      event.preventDefault();
      if (link.getAttribute("href").charAt(0) === "#") {
        var panel = document.querySelector(link.getAttribute("href"));
        if (panel) { panel.focus(); panel.scrollIntoView(); }
      } else {
        link.click();
      }
      return;
    }
    if (viewer && keys[event.key]) { event.preventDefault(); actions[keys[event.key]](); }
  });
})();

// 郵送: the scan of the paper that came by post is chosen first and shown beside the forms
// while the clerk keys it in (a local preview: nothing leaves the browser until a form is
// filed); filing a form sends the scan with it.
(function () {
  "use strict";
  var input = document.getElementById("mail-scan");
  var view = document.getElementById("mail-scan-view");
  if (!input || !view) return;
  var status = view.querySelector("[data-scan-status]");
  var current = null;
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (current) URL.revokeObjectURL(current);
    view.querySelectorAll("img, iframe").forEach(function (el) { el.remove(); });
    if (!file) {
      status.textContent = status.dataset.empty;
      return;
    }
    current = URL.createObjectURL(file);
    var shown;
    if (file.type === "application/pdf") {
      shown = document.createElement("iframe");
      shown.title = file.name;
    } else {
      shown = document.createElement("img");
      shown.alt = file.name;
    }
    shown.src = current;
    shown.dataset.testid = "mail-scan-shown";
    view.appendChild(shown);
    status.textContent = file.name;
  });
  document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var own = form.querySelector("input[type=file][name=scan]");
      if (own && !own.files.length && input.files.length) {
        var transfer = new DataTransfer();
        transfer.items.add(input.files[0]);
        own.files = transfer.files;
      }
    });
  });
})();

// Sessions that lose nothing (accounts/session.py):
// 1. Before the idle timeout, a warning with 「続ける」; at the timeout, the login page
//    (which brings the clerk back here).
// 2. What is typed into a form is kept in this tab (sessionStorage) until the form has
//    been sent and answered, and put back when the page is shown again. Passwords, files
//    and fields marked autocomplete="off" (個人番号) are never kept.
(() => {
  const body = document.body;
  const DRAFT = "madoguchi-draft:";
  // The login page, or a page saying the form did not go through (the database was away):
  // what was sent last did not arrive.
  const onLoginPage =
    location.pathname.startsWith("/login/") || body.dataset.keepDrafts !== undefined;

  // A page that answers a form with its errors puts the focus on their summary (each entry
  // links to its field), not on <body> at the top of the page.
  document.querySelector("[data-focus-on-load]")?.focus();

  // --- drafts ---------------------------------------------------------------------------
  const keepable = (el) =>
    el.name &&
    !["password", "hidden", "file", "submit", "button"].includes(el.type) &&
    el.getAttribute("autocomplete") !== "off" &&
    !el.closest("[data-no-draft]");

  // A form that says who it is (data-draft-key: the counter's form of one procedure for one
  // resident) keeps its draft while other forms of the page come and go; any other form is
  // known by its place on the page.
  const draftKey = (form) =>
    DRAFT + location.pathname + "|" + (form.getAttribute("action") || location.pathname) +
    "|" + (form.dataset.draftKey || Array.from(document.forms).indexOf(form));

  const save = (form) => {
    const values = {};
    for (const el of form.elements) {
      if (!keepable(el)) continue;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) (values[el.name] ||= []).push(el.value);
      } else if (el.tagName === "SELECT" && el.multiple) {
        values[el.name] = Array.from(el.selectedOptions, (o) => o.value);
      } else {
        values[el.name] = [el.value];
      }
    }
    sessionStorage.setItem(draftKey(form), JSON.stringify({ values, sent: false }));
  };

  const restore = (form, values) => {
    let changed = false;
    for (const el of form.elements) {
      if (!keepable(el) || !(el.name in values)) continue;
      const wanted = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        const on = wanted.includes(el.value);
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.tagName === "SELECT" && el.multiple) {
        for (const o of el.options) o.selected = wanted.includes(o.value);
        changed = true;
      } else if (wanted.length && el.value !== wanted[0]) {
        el.value = wanted[0];
        changed = true;
      }
    }
    return changed;
  };

  const drafts = () =>
    Object.keys(sessionStorage).filter((k) => k.startsWith(DRAFT));

  if (onLoginPage) {
    // Whatever was sent last did not arrive (the session had ended): keep it.
    for (const key of drafts()) {
      const draft = JSON.parse(sessionStorage.getItem(key));
      draft.sent = false;
      sessionStorage.setItem(key, JSON.stringify(draft));
    }
  } else {
    // A draft whose form was sent and answered by a page other than the login page is done.
    for (const key of drafts()) {
      if (JSON.parse(sessionStorage.getItem(key)).sent) sessionStorage.removeItem(key);
    }
  }

  const notice = document.getElementById("draft-restored");
  const restored = [];
  for (const form of onLoginPage ? [] : document.forms) {
    if ((form.method || "").toLowerCase() !== "post" || form.closest("header")) continue;
    const stored = sessionStorage.getItem(draftKey(form));
    if (stored && restore(form, JSON.parse(stored).values)) restored.push(form);
    form.addEventListener("input", () => save(form));
    form.addEventListener("change", () => save(form));
    form.addEventListener("submit", () => {
      const stored = sessionStorage.getItem(draftKey(form));
      if (!stored) return;
      const draft = JSON.parse(stored);
      draft.sent = true;
      sessionStorage.setItem(draftKey(form), JSON.stringify(draft));
    });
  }
  if (restored.length && notice) {
    notice.hidden = false;
    notice.querySelector("[data-role=discard]").addEventListener("click", () => {
      for (const form of restored) {
        sessionStorage.removeItem(draftKey(form));
        form.reset();
      }
      notice.hidden = true;
    });
  }
  // Signing out on purpose leaves nothing typed behind on a shared counter PC.
  for (const form of document.querySelectorAll("header form")) {
    form.addEventListener("submit", () => drafts().forEach((k) => sessionStorage.removeItem(k)));
  }

  // --- the idle warning -----------------------------------------------------------------
  if (!body.dataset.idleSeconds) return;
  const idle = Number(body.dataset.idleSeconds) * 1000;
  const warning = Number(body.dataset.warningSeconds) * 1000;
  const dialog = document.getElementById("session-warning");
  const remainingText = dialog.querySelector("[data-role=remaining]");
  let deadline = Date.now() + idle;
  let timer = null;
  let ticker = null;

  const toLogin = () => {
    const next = location.pathname + location.search;
    location.assign(
      body.dataset.loginUrl + "?" + new URLSearchParams({ next, reason: "idle" }).toString(),
    );
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(0, deadline - warning - Date.now()));
  };

  // Another tab may have kept the session alive: ask before warning.
  const check = async () => {
    try {
      const answer = await fetch(body.dataset.statusUrl, { credentials: "same-origin" });
      const { remaining } = await answer.json();
      deadline = Date.now() + remaining * 1000;
    } catch {
      // The server cannot be asked: count on our own clock.
    }
    if (deadline - Date.now() > warning + 1000) return schedule();
    if (deadline <= Date.now()) return toLogin();
    show();
  };

  const show = () => {
    const tick = () => {
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      remainingText.textContent = `${Math.floor(left / 60)}分${String(left % 60).padStart(2, "0")}秒`;
      if (left <= 0) { clearInterval(ticker); toLogin(); }
    };
    tick();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    if (!dialog.open) dialog.showModal();
  };

  dialog.querySelector("[data-role=continue]").addEventListener("click", async () => {
    clearInterval(ticker);
    dialog.close();
    const answer = await fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": body.dataset.csrf },
    });
    if (!answer.ok) return toLogin();
    deadline = Date.now() + idle;
    schedule();
  });

  // Every page load and every htmx request is activity on the server.
  document.addEventListener("htmx:afterRequest", () => { deadline = Date.now() + idle; schedule(); });
  schedule();
})();

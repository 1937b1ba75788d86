// Firebreak's small page script: live updates, theme, copy, shortcuts.
// Every page works without it.
(function () {
  "use strict";
  var root = document.documentElement;

  // Theme: follows the system until chosen, then remembered.
  var theme = document.getElementById("theme");
  if (theme) {
    theme.addEventListener("click", function () {
      var dark = root.dataset.theme
        ? root.dataset.theme === "dark"
        : window.matchMedia("(prefers-color-scheme: dark)").matches;
      root.dataset.theme = dark ? "light" : "dark";
      try { localStorage.setItem("fb-theme", root.dataset.theme); } catch (e) { /* private mode */ }
    });
  }

  // Copy buttons: data-copy names the element whose text to copy.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var el = document.getElementById(button.dataset.copy);
      if (!el || !navigator.clipboard) return;
      navigator.clipboard.writeText(el.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
  });

  // Live updates over server-sent events. EventSource reconnects by itself;
  // if the server closes the stream for good, reopen with a growing delay.
  var live = document.getElementById("live");
  var section = document.body.dataset.section || "";
  var watched = { users: "user.", keys: "api_key.", orgs: "organisation.", cases: "case.", audit: "" };
  var delay = 1000;
  function connect() {
    if (!live || !window.EventSource) return;
    var source = new EventSource("/api/v1/live");
    source.addEventListener("ready", function () {
      delay = 1000;
      live.classList.add("on");
      live.title = "Live updates: connected";
    });
    source.onerror = function () {
      live.classList.remove("on");
      live.title = "Live updates: reconnecting";
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
    source.onmessage = notice;
    ["user.created", "user.updated", "user.deleted", "api_key.created", "api_key.revoked",
     "organisation.created", "organisation.updated", "case.created", "case.updated", "case.transitioned"]
      .forEach(function (kind) { source.addEventListener(kind, notice); });
  }
  function notice(event) {
    var prefix = watched[section];
    if (prefix === undefined || (prefix && event.type.indexOf(prefix) !== 0)) return;
    var box = document.getElementById("changed");
    if (box) box.hidden = false;
  }
  connect();

  // Keyboard: g then a/c/r/d goes to Alerts, Cases, Detection, Dashboards.
  var pending = false;
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.metaKey || e.ctrlKey || e.altKey) return;
    if (e.key === "g") { pending = true; setTimeout(function () { pending = false; }, 1200); return; }
    if (!pending) return;
    pending = false;
    var link = document.querySelector('.sidebar a[data-key="' + e.key + '"]');
    if (link) window.location = link.href;
  });
})();

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

  // A form that asks before it acts (data-confirm holds the question); runs
  // first, so that a form refused here is not sent by the handlers below.
  document.addEventListener("submit", function (e) {
    var form = e.target.closest ? e.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // A choice that takes effect at once (the organisation switcher).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Live updates over server-sent events. EventSource reconnects by itself;
  // if the server closes the stream for good, reopen with a growing delay.
  var live = document.getElementById("live");
  var section = document.body.dataset.section || "";
  var watched = { users: "user.", keys: "api_key.", orgs: "organisation.", cases: "case.", audit: "" };
  var delay = 1000;
  var source = null;
  // A page left for another closes its stream: a browser keeps few
  // connections per server, and a cached page must not hold one.
  window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
  window.addEventListener("pageshow", function (e) { if (e.persisted && !source) connect(); });
  function connect() {
    if (!live || !window.EventSource) return;
    source = new EventSource("/api/v1/live");
    source.addEventListener("ready", function () {
      delay = 1000;
      live.classList.add("on");
      live.title = "Live updates: connected";
    });
    source.onerror = function () {
      live.classList.remove("on");
      live.title = "Live updates: reconnecting";
      if (source && source.readyState === EventSource.CLOSED) {
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
    source.onmessage = notice;
    ["user.created", "user.updated", "user.deleted", "api_key.created", "api_key.revoked",
     "organisation.created", "organisation.updated", "case.created", "case.updated", "case.transitioned",
     "case.escalated", "case.sla_at_risk", "case.sla_breached", "case.update_due", "notification.created",
     "asset.created", "asset.updated", "asset.imported", "alert.created", "alert.updated"]
      .forEach(function (kind) { source.addEventListener(kind, notice); });
  }
  function notice(event) {
    // Regions marked data-live-refresh redraw themselves in place.
    var region = document.querySelector("[data-live-refresh]");
    if (region && event.type.indexOf(region.dataset.liveRefresh) === 0) {
      var only = region.dataset.liveId;
      var data = {};
      try { data = JSON.parse(event.data || "{}"); } catch (e) { /* not JSON */ }
      if (!only || !data.object_id || data.object_id === only) later(region);
      return;
    }
    var prefix = watched[section];
    if (prefix === undefined || (prefix && event.type.indexOf(prefix) !== 0)) return;
    var box = document.getElementById("changed");
    if (box) box.hidden = false;
  }
  connect();

  // A region with data-live-every redraws at most that often (ms), so a
  // stream of alerts does not redraw a dashboard for each one.
  var redrawTimer = null;
  function later(region) {
    var every = parseInt(region.dataset.liveEvery || "0", 10);
    if (!every) { refresh(); return; }
    if (!redrawTimer) redrawTimer = setTimeout(function () { redrawTimer = null; refresh(); }, every);
  }

  // Redraws the live region from a fresh copy of the page, unless the user
  // is typing in it (then the "changed" notice offers a reload).
  // A redraw asked for while one is under way runs once that one ends, so
  // that the last change is always drawn.
  var refreshing = false;
  var again = false;
  function typing(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(INPUT|TEXTAREA)$/.test(active.tagName) && active.value &&
        active.type !== "checkbox") {
      var box = document.getElementById("changed");
      if (box) box.hidden = false;
      return true;
    }
    return false;
  }
  // A page may have several live regions (the assets and the contacts, say):
  // each is redrawn from its counterpart in the fresh copy.
  function refresh() {
    var regions = document.querySelectorAll("[data-live-refresh]");
    if (refreshing) { again = true; return; }
    if (!regions.length || Array.prototype.some.call(regions, typing)) return;
    refreshing = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var current = document.querySelectorAll("[data-live-refresh]");
        if (Array.prototype.some.call(current, typing)) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelectorAll("[data-live-refresh]");
        if (fresh.length !== current.length) return;
        Array.prototype.forEach.call(current, function (region, i) { region.replaceWith(fresh[i]); });
        wire();
        if (openTab) showTab(openTab, false);
      })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  var csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  function toast(message) {
    var t = document.getElementById("toast");
    if (!t) { window.alert(message); return; }
    t.textContent = message;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 8000);
  }
  function api(method, url, body, type) {
    var headers = { "x-csrf-token": csrf };
    if (type) headers["content-type"] = type;
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!r.ok) throw new Error((json && json.message) || ("the server answered " + r.status));
        return json;
      });
    });
  }

  // Forms marked data-api="METHOD /api/v1/…" send JSON (or, with data-raw,
  // the chosen file) to the API and show its refusal next to the form.
  document.addEventListener("submit", function (e) {
    var form = e.target.closest ? e.target.closest("form[data-api]") : null;
    if (!form) return;
    e.preventDefault();
    // A button may send the form elsewhere (a preview) and show the answer.
    var via = e.submitter && e.submitter.dataset.api ? e.submitter : null;
    var spec = (via ? via.dataset.api : form.dataset.api).split(" ");
    var url = spec[1], body, type;
    var err = form.querySelector(".form-error");
    if (err) err.textContent = "";
    if (form.dataset.raw) {
      var file = form.querySelector('input[type="file"]').files[0];
      if (!file) return;
      url += (url.indexOf("?") < 0 ? "?" : "&") + "filename=" + encodeURIComponent(file.name);
      body = file;
      type = file.type || "application/octet-stream";
    } else {
      var data = {};
      // A name with dots (`P1.acknowledge`) is a field of a nested object.
      var put = function (name, value) {
        var path = name.split("."), at = data;
        for (var i = 0; i < path.length - 1; i++) at = at[path[i]] = at[path[i]] || {};
        at[path[path.length - 1]] = value;
      };
      try {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.disabled) return;
        if (el.dataset.type === "set") {
          // Checkboxes of one name: the values of those ticked, as a list.
          if (!Array.isArray(data[el.name])) data[el.name] = [];
          if (el.checked) data[el.name].push(el.value);
          return;
        }
        if (el.dataset.type === "int") {
          if (el.value === "") return;
          put(el.name, parseInt(el.value, 10) * parseInt(el.dataset.scale || "1", 10));
          return;
        }
        if (el.tagName === "SELECT" && el.multiple) {
          data[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
            .map(function (o) { return o.value; });
        } else if (el.dataset.type === "bool") {
          data[el.name] = el.type === "checkbox" ? el.checked : el.value === "true";
        } else if (el.dataset.type === "list") {
          // An empty list is a list too: clearing the field empties it.
          data[el.name] = el.value.split(/\r?\n/).map(function (v) { return v.trim(); })
            .filter(function (v) { return v !== ""; });
        } else if (el.value === "") {
          return;
        } else if (el.dataset.type === "time") {
          data[el.name] = new Date(el.value).toISOString();
        } else if (el.dataset.type === "json-list") {
          // One JSON object, or a list of them: always sent as a list.
          var parsed;
          try { parsed = JSON.parse(el.value); } catch (x) {
            throw new Error(el.name + " must be JSON: " + x.message);
          }
          data[el.name] = Array.isArray(parsed) ? parsed : [parsed];
        } else {
          data[el.name] = el.value;
        }
      });
      } catch (bad) {
        if (err) err.textContent = bad.message; else toast(bad.message);
        return;
      }
      body = JSON.stringify(data);
      type = "application/json";
    }
    var button = via || form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    api(spec[0], url, body, type).then(function (json) {
      if (via && via.dataset.show) {
        var out = document.querySelector(via.dataset.show);
        out.hidden = false;
        out.textContent = json.suppressed + " of the rule's last " + json.alerts_checked +
          " alerts would have been suppressed" +
          (json.examples.length ? ": " + json.examples.map(function (a) { return a.title; }).join("; ") : ".");
        return;
      }
      if (form.dataset.reveal && json && json[form.dataset.reveal]) {
        // A secret the server shows once (a webhook's signing key).
        var shown = form.querySelector(".report");
        shown.hidden = false;
        shown.textContent = "Created. Its " + form.dataset.reveal + " is shown this once; copy it now:\n" +
          json[form.dataset.reveal];
        form.reset();
        refresh();
      } else if (form.dataset.then) {
        window.location = form.dataset.then.replace("{id}", json && json.id);
      } else if (form.dataset.report !== undefined) {
        var pre = form.querySelector(".report");
        pre.hidden = false;
        pre.textContent = json.created + " created, " + json.updated + " updated, " + json.rejected + " rejected\n" +
          json.lines.map(function (l) { return "line " + l.line + ": " + l.reason; }).join("\n");
        refresh();
      } else {
        // Made: a form that adds something is emptied for the next one (one
        // that edits keeps what it shows), and the page shows the result.
        if (spec[0] === "POST" && form.dataset.keep === undefined) form.reset();
        refresh();
      }
    }).catch(function (error) {
      if (err) err.textContent = error.message; else toast(error.message);
    }).finally(function () { if (button) button.disabled = false; });
  });

  // The rule upload: a zip archive goes as it is, YAML files are read and
  // sent together; the answer lists what was created and what was refused.
  document.addEventListener("submit", function (e) {
    var form = e.target.closest ? e.target.closest("form[data-rule-upload]") : null;
    if (!form) return;
    e.preventDefault();
    var files = Array.prototype.slice.call(form.querySelector('input[type="file"]').files);
    if (!files.length) return;
    var enable = form.querySelector('input[name="enable"]').checked;
    var err = form.querySelector(".form-error");
    var pre = form.querySelector(".report");
    err.textContent = "";
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    var zips = files.filter(function (f) { return /\.zip$/i.test(f.name); });
    var yaml = files.filter(function (f) { return !/\.zip$/i.test(f.name); });
    var sends = zips.map(function (f) {
      return api("POST", "/api/v1/rules/_import/zip?enable=" + enable + "&filename=" + encodeURIComponent(f.name),
        f, "application/zip");
    });
    if (yaml.length) {
      sends.push(Promise.all(yaml.map(function (f) {
        return f.text().then(function (content) { return { name: f.name, content: content }; });
      })).then(function (read) {
        return api("POST", "/api/v1/rules/_import", JSON.stringify({ files: read, enable: enable }), "application/json");
      }));
    }
    Promise.all(sends).then(function (reports) {
      var sum = { created: 0, updated: 0, unchanged: 0, rejected: [] };
      reports.forEach(function (r) {
        sum.created += r.created; sum.updated += r.updated; sum.unchanged += r.unchanged;
        sum.rejected = sum.rejected.concat(r.rejected);
      });
      pre.hidden = false;
      pre.textContent = sum.created + " created, " + sum.updated + " updated, " + sum.unchanged + " unchanged, " +
        sum.rejected.length + " refused" + sum.rejected.map(function (p) {
          return "\n" + p.file + ":" + p.line + ": " + p.reason;
        }).join("");
      refresh();
    }).catch(function (error) {
      err.textContent = error.message;
    }).finally(function () { button.disabled = false; });
  });

  // "Draft from the case": fills the update's text from the case, to edit.
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-draft]") : null;
    if (!button) return;
    var form = button.closest("form");
    var audience = form.querySelector('[name="audience"]').value;
    api("GET", button.dataset.draft + "?audience=" + audience + "&utc_offset_minutes=" + (-new Date().getTimezoneOffset())).then(function (d) {
      form.querySelector('[name="summary"]').value = d.subject + "\n\n" + d.body;
      var due = form.querySelector('[name="next_update_due"]');
      if (d.next_update_due && due && !due.value) {
        var t = new Date(d.next_update_due);
        due.value = new Date(t.getTime() - t.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
      }
    }).catch(function (error) { toast(error.message); });
  });

  // Tabs (the case page): each is a link to ?tab=NAME, which the server
  // draws open; here a tab opens in place and the address keeps it as
  // #NAME. A link to an element inside a panel (#review-form) opens its
  // tab. Arrow keys, Home and End move between tabs.
  var openTab = null;
  function showTab(name, focus) {
    var tab = document.getElementById("tab-" + name);
    if (!tab || tab.getAttribute("role") !== "tab") return false;
    tab.closest("[role=tablist]").querySelectorAll("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      if (on) t.removeAttribute("tabindex"); else t.setAttribute("tabindex", "-1");
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    openTab = name;
    if (focus) tab.focus();
    return true;
  }
  function tabOfHash() {
    var name = decodeURIComponent(window.location.hash.slice(1));
    if (!name) return;
    if (showTab(name, false)) return;
    var el = document.getElementById(name);
    var panel = el && el.closest("[role=tabpanel]");
    if (panel) {
      var tab = document.querySelector('[role=tab][aria-controls="' + panel.id + '"]');
      if (tab) showTab(tab.id.slice(4), false);
    }
  }
  document.addEventListener("click", function (e) {
    var tab = e.target.closest ? e.target.closest("[role=tab], a[data-tab]") : null;
    if (!tab || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    var name = tab.dataset.tab || tab.id.slice(4);
    if (!showTab(name, tab.getAttribute("role") === "tab")) return;
    e.preventDefault();
    history.replaceState(null, "", "#" + name);
  });
  document.addEventListener("keydown", function (e) {
    var tab = e.target.closest ? e.target.closest("[role=tab]") : null;
    if (!tab) return;
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var i = tabs.indexOf(tab);
    var to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1, " ": i }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    var next = tabs[(to + tabs.length) % tabs.length];
    var name = next.id.slice(4);
    showTab(name, true);
    history.replaceState(null, "", "#" + name);
  });
  window.addEventListener("hashchange", tabOfHash);
  if (document.querySelector("[role=tablist]")) {
    var selected = document.querySelector("[role=tab][aria-selected=true]");
    if (selected) openTab = selected.id.slice(4);
    tabOfHash();
  }

  // The alert queue: a selection (a row's box, x on the current row, shift-
  // click for a range) that the bulk actions act on, kept across redraws.
  var picked = new Set();
  var lastPicked = null;
  var currentId = null;
  function queueRows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-id]")); }
  function pick(id, on) { if (on) picked.add(id); else picked.delete(id); }
  function showPicked() {
    var rows = queueRows();
    rows.forEach(function (tr) {
      var box = tr.querySelector("input.pick");
      var on = picked.has(tr.dataset.id);
      if (box) box.checked = on;
      tr.classList.toggle("picked", on);
      tr.classList.toggle("current", tr.dataset.id === currentId);
    });
    var count = document.getElementById("selected-count");
    if (count) count.textContent = picked.size + " selected";
    document.querySelectorAll("[data-bulk-action]").forEach(function (b) { b.disabled = picked.size === 0; });
    var all = document.getElementById("pick-all");
    if (all) all.checked = rows.length > 0 && rows.every(function (tr) { return picked.has(tr.dataset.id); });
  }
  document.addEventListener("click", function (e) {
    var box = e.target.closest ? e.target.closest("#queue input.pick") : null;
    if (box) {
      var rows = queueRows();
      var i = rows.indexOf(box.closest("tr"));
      if (e.shiftKey && lastPicked !== null && lastPicked < rows.length) {
        for (var k = Math.min(i, lastPicked); k <= Math.max(i, lastPicked); k++) pick(rows[k].dataset.id, box.checked);
      } else {
        pick(box.value, box.checked);
      }
      lastPicked = i;
      currentId = box.value;
      showPicked();
    } else if (e.target.id === "pick-all") {
      queueRows().forEach(function (tr) { pick(tr.dataset.id, e.target.checked); });
      showPicked();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (!document.getElementById("queue")) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if ((tag === "input" && e.target.type !== "checkbox") || tag === "textarea" || tag === "select" ||
        e.metaKey || e.ctrlKey || e.altKey) return;
    var rows = queueRows();
    if (!rows.length) return;
    var ids = rows.map(function (tr) { return tr.dataset.id; });
    var i = ids.indexOf(currentId);
    if (e.key === "j" || e.key === "k") {
      i = e.key === "j" ? Math.min(i + 1, rows.length - 1) : Math.max(i - 1, 0);
      currentId = ids[i];
      rows[i].scrollIntoView({ block: "nearest" });
    } else if (e.key === "x") {
      if (i < 0) { i = 0; currentId = ids[0]; }
      pick(currentId, !picked.has(currentId));
      lastPicked = i;
    } else if (e.key === "o" && i >= 0) {
      window.location = "/alerts/" + currentId;
    } else {
      return;
    }
    e.preventDefault();
    showPicked();
  });
  // The bulk actions: take, assign, close with a disposition and a reason,
  // escalate into one new case.
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-bulk-action]") : null;
    if (!button || !picked.size) return;
    var bar = document.getElementById("bulk");
    var err = bar.querySelector(".form-error");
    err.textContent = "";
    var action = button.dataset.bulkAction;
    var body = { ids: Array.from(picked) };
    var field = function (id) { return document.getElementById(id).value; };
    var url = "/api/v1/alerts/_" + action;
    if (action === "assign") {
      body.assignee_id = field("bulk-assignee") || null;
    } else if (action === "close") {
      body.disposition = field("bulk-disposition");
      body.reason = field("bulk-reason").trim();
      if (!body.reason) {
        err.textContent = "Say why these alerts are closed.";
        document.getElementById("bulk-reason").focus();
        return;
      }
    } else if (action === "escalate") {
      if (field("bulk-template")) body.template_id = field("bulk-template");
      if (!window.confirm("Escalate " + picked.size + " alert(s) into one new case?")) return;
    }
    button.disabled = true;
    api("POST", url, JSON.stringify(body), "application/json").then(function (json) {
      if (action === "escalate") { window.location = "/cases/" + json.id; return; }
      var done = json.closed !== undefined ? json.closed : json.done;
      toast(done + " alert(s) " + { take: "taken", assign: "assigned", close: "closed" }[action] +
        (json.skipped ? ", " + json.skipped + " skipped (no longer open)" : ""));
      picked.clear();
      refresh();
    }).catch(function (error) {
      err.textContent = error.message;
    }).finally(function () { showPicked(); });
  });
  // Saved views of the queue: the filters under a name, kept in this
  // browser for the signed-in user.
  var views = document.getElementById("views");
  if (views && window.localStorage) {
    var viewsKey = "fb-views:" + views.dataset.viewsKey;
    var loadViews = function () {
      try { return JSON.parse(localStorage.getItem(viewsKey) || "[]"); } catch (e) { return []; }
    };
    var drawViews = function () {
      var box = document.getElementById("saved-views");
      box.textContent = "";
      loadViews().forEach(function (v, i) {
        var span = document.createElement("span");
        span.className = "saved";
        var a = document.createElement("a");
        a.className = "view" + (v.search === window.location.search ? " current" : "");
        a.href = "/alerts" + v.search;
        a.textContent = v.name;
        var forget = document.createElement("button");
        forget.type = "button";
        forget.textContent = "×";
        forget.title = "Forget the view " + v.name;
        forget.addEventListener("click", function () {
          var list = loadViews();
          list.splice(i, 1);
          localStorage.setItem(viewsKey, JSON.stringify(list));
          drawViews();
        });
        span.appendChild(a);
        span.appendChild(forget);
        box.appendChild(span);
      });
    };
    document.getElementById("save-view").addEventListener("click", function () {
      var params = new URLSearchParams(window.location.search);
      params.delete("after");
      params.delete("seen");
      var guess = params.get("source") ? "source " + params.get("source")
        : params.get("rule") ? "rule " + params.get("rule") : (params.get("state") || "new") + " alerts";
      var name = window.prompt("Name of this view", guess);
      if (!name) return;
      var list = loadViews();
      list.push({ name: name, search: "?" + params.toString() });
      try { localStorage.setItem(viewsKey, JSON.stringify(list)); } catch (e) { toast("This browser keeps no views."); }
      drawViews();
    });
    drawViews();
  }

  // The board: drag a card to a phase to request the transition.
  function wire() {
    showPicked();
    document.querySelectorAll(".card[draggable]").forEach(function (card) {
      card.addEventListener("dragstart", function (e) {
        e.dataTransfer.setData("text/plain", card.dataset.id);
        card.classList.add("dragging");
      });
      card.addEventListener("dragend", function () { card.classList.remove("dragging"); });
    });
    document.querySelectorAll(".board .column:not(.locked)").forEach(function (col) {
      col.addEventListener("dragover", function (e) { e.preventDefault(); col.classList.add("over"); });
      col.addEventListener("dragleave", function () { col.classList.remove("over"); });
      col.addEventListener("drop", function (e) {
        e.preventDefault();
        col.classList.remove("over");
        var id = e.dataTransfer.getData("text/plain");
        var card = document.querySelector('.card[data-id="' + id + '"]');
        if (!card || card.parentElement === col) return;
        var body = JSON.stringify({ state: col.dataset.state });
        api("POST", "/api/v1/cases/" + id + "/transition", body, "application/json")
          .then(function () { col.appendChild(card); refresh(); })
          .catch(function (error) { toast("#" + card.dataset.number + " cannot move to " + col.dataset.state + ": " + error.message); });
      });
    });
    poll();
  }
  wire();

  // A region that shows work under way (a hunt reading its file) is marked
  // data-poll="ms": the page redraws that often until the mark is gone.
  var pollTimer = null;
  function poll() {
    var running = document.querySelector("[data-poll]");
    if (!running || pollTimer) return;
    pollTimer = setTimeout(function () { pollTimer = null; refresh(); }, parseInt(running.dataset.poll, 10) || 1000);
  }

  // Keyboard: g then a/c/r/d goes to Alerts, Cases, Detection, Dashboards.
  var afterG = false;
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.metaKey || e.ctrlKey || e.altKey) return;
    if (e.key === "g") { afterG = true; setTimeout(function () { afterG = false; }, 1200); return; }
    // On an alert page: t takes, c closes (as a false positive unless another
    // disposition is chosen), e escalates (the forms do the rest).
    var triage = { t: "#take", c: "#close", e: "#escalate" }[e.key];
    if (!afterG && triage && document.querySelector(triage)) {
      var form = document.querySelector(triage);
      var field = form.querySelector("input[required]");
      if (field && !field.value) field.focus(); else form.requestSubmit();
      e.preventDefault();
      return;
    }
    // n opens the next alert of the queue.
    if (!afterG && e.key === "n" && document.querySelector("#next-alert")) {
      window.location = document.querySelector("#next-alert").href;
      e.preventDefault();
      return;
    }
    if (!afterG) return;
    afterG = false;
    var link = document.querySelector('.sidebar a[data-key="' + e.key + '"]');
    if (link) window.location = link.href;
  });
})();

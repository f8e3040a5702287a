// trawl console: local times, and live updates from GET /events.
// No inline script runs on these pages (the CSP forbids it); this file is
// the only script. It writes text with textContent only, never as HTML.
"use strict";

(function () {
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) {
        el.title = el.textContent;
        el.textContent = d.toLocaleString();
      }
    });
  }

  var icons = { pending: "○", in_progress: "◐", finished: "✓", stopped: "■", failed: "✗" };

  function setTime(el, iso) {
    if (!iso) { el.textContent = "—"; return; }
    var t = document.createElement("time");
    t.setAttribute("datetime", iso);
    t.textContent = iso;
    el.replaceChildren(t);
    localTimes(el);
  }

  // applyJob writes a job record's live fields wherever the page shows
  // them. It returns whether the job is on the page.
  function applyJob(rec) {
    var found = false;
    document.querySelectorAll('[data-job="' + rec.id + '"]').forEach(function (box) {
      found = true;
      box.querySelectorAll("[data-field]").forEach(function (el) {
        switch (el.getAttribute("data-field")) {
          case "status":
            el.setAttribute("data-status", rec.status);
            el.textContent = (icons[rec.status] || "·") + " " + rec.status;
            break;
          case "rows": el.textContent = String(rec.dataRowsCount); break;
          case "credits": el.textContent = String(rec.creditsSpent); break;
          case "stopReason": el.textContent = rec.stopReason || "—"; break;
          case "started": setTime(el, rec.startedAt); break;
          case "finished": setTime(el, rec.finishedAt); break;
        }
      });
    });
    return found;
  }

  // refresh reloads the page's sections that the stream cannot patch
  // field by field (rows, delivery log, actions) from a fresh copy of the
  // page, rendered and escaped by the server.
  var pending = null;
  function refresh(ids) {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(location.href, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) return;
        return r.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          ids.forEach(function (id) {
            var cur = document.getElementById(id), next = doc.getElementById(id);
            if (!cur || !next) return;
            if (cur.querySelector("details[open]")) return; // the viewer is reading
            cur.replaceWith(document.importNode(next, true));
            localTimes(document.getElementById(id));
          });
        });
      }).catch(function () {});
    }, 300);
  }

  function live(query, from) {
    if (!window.EventSource) return;
    var status = document.getElementById("live-status");
    // The stream starts where the page's data was read, so nothing that
    // changed while the page loaded is missed; reconnections resume from
    // the last message by themselves (Last-Event-ID).
    var src = new EventSource("/events?" + query + (from ? "&lastEventId=" + encodeURIComponent(from) : ""));
    var onJobPage = /[?&]jobId=/.test(query);
    src.onopen = function () { status.hidden = false; status.textContent = "● live"; };
    src.onerror = function () { status.hidden = false; status.textContent = "○ reconnecting…"; };
    src.addEventListener("job", function (e) {
      var rec = JSON.parse(e.data);
      var shown = applyJob(rec);
      if (onJobPage) {
        refresh(["rows", "deliveries", "actions"]);
      } else if (!shown) {
        var note = document.getElementById("new-jobs");
        if (note && rec.status === "pending") note.hidden = false;
      }
    });
    src.addEventListener("delivery", function () {
      if (onJobPage) refresh(["deliveries"]);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    var q = document.body.getAttribute("data-live");
    if (q) live(q, document.body.getAttribute("data-live-from"));
  });
})();

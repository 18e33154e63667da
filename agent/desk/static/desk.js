// Live progress without a build step: poll the status of running jobs and reload when done.
(function () {
  "use strict";
  function active(status) { return status === "queued" || status === "running"; }
  // Poll a job the page showed as active: onChange on every change of status or node, the
  // last one when it finishes. Only active jobs are polled, so a finished one cannot loop.
  function poll(id, initial, onChange) {
    var last = initial;
    function tick() {
      fetch("/jobs/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var key = data.status + "|" + (data.node || "");
          if (key !== last) { onChange(data); }
          last = key;
          if (active(data.status)) { setTimeout(tick, 1000); }
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tr[data-job]").forEach(function (row) {
      var status = row.getAttribute("data-status");
      if (!active(status)) { return; }
      poll(row.getAttribute("data-job"), status + "|" + (row.querySelector(".job-node").textContent || ""), function (data) {
        row.querySelector(".job-status").textContent = data.status.replace("_", " ");
        row.querySelector(".job-node").textContent = data.node || "";
        if (!active(data.status)) { window.location.reload(); }
      });
    });
    var pending = document.querySelector("[data-poll-job]");
    if (pending && active(pending.getAttribute("data-status"))) {
      poll(pending.getAttribute("data-poll-job"), pending.getAttribute("data-status") + "|", function (data) {
        if (active(data.status)) { return; }
        pending.querySelector(".job-status").textContent = data.status;
        if (!active(data.status)) { window.location.reload(); }
      });
    }
  });
})();

/* Live progress of an aggregation run (progressive enhancement).
 *
 * While the run on the page is queued or running, ask the node for it once a
 * second (GET /api/v1/aggregation/runs/{id}, with the session cookie) and
 * update the numbers and the progress bar. When it has finished, reload the
 * page once, which then shows the outcome, the quarantine and the buttons.
 * Without this script the page still shows the run as it was when loaded.
 * No libraries; loaded from this node only.
 */
(function () {
  "use strict";

  var panel = document.getElementById("run-progress");
  if (!panel || !window.fetch) {
    return;
  }
  var ACTIVE = { queued: true, running: true };
  var INTERVAL_MS = 1000;
  var runId = panel.getAttribute("data-run-id");
  var status = panel.getAttribute("data-status");
  var labels = {};
  try {
    labels = JSON.parse(panel.getAttribute("data-labels") || "{}");
  } catch (ignored) {
    labels = {};
  }
  if (!runId || !ACTIVE[status]) {
    return;
  }

  function field(name) {
    return panel.querySelector('[data-field="' + name + '"]');
  }

  function setText(name, text) {
    var element = field(name);
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function count(value) {
    return Number(value || 0).toLocaleString("zh-CN");
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) {
      return "—";
    }
    var whole = Math.round(seconds);
    if (whole < 1) {
      return "不到1秒";
    }
    var hours = Math.floor(whole / 3600);
    var minutes = Math.floor((whole % 3600) / 60);
    var rest = whole % 60;
    var text = "约";
    if (hours) {
      text += hours + "小时";
    }
    if (hours || minutes) {
      text += minutes + "分";
    }
    return text + rest + "秒";
  }

  function show(run) {
    var badge = field("status");
    if (badge) {
      badge.textContent = labels[run.status] || run.status;
      badge.className = "status run-" + run.status;
    }
    setText("rows_read", count(run.rows_read));
    setText("rows_written", count(run.rows_written));
    setText("rows_quarantined", count(run.rows_quarantined));
    setText(
      "rows_per_second",
      run.rows_per_second === null ? "—" : Math.round(run.rows_per_second).toLocaleString("zh-CN")
    );
    setText("seconds_left", ACTIVE[run.status] ? duration(run.seconds_left) : "—");
    var bar = field("progress");
    var percent = null;
    if (run.status === "succeeded") {
      percent = 100;
    } else if (run.bytes_total) {
      percent = Math.min(100, Math.floor((run.bytes_read * 100) / run.bytes_total));
    }
    if (bar && percent !== null) {
      bar.value = percent;
      bar.textContent = percent + "%";
    }
    setText("percent", percent === null ? "" : percent + "%");
  }

  var timer = null;
  var busy = false;

  function later(delay) {
    timer = document.hidden ? null : window.setTimeout(poll, delay);
  }

  function poll() {
    timer = null;
    busy = true;
    fetch("/api/v1/aggregation/runs/" + encodeURIComponent(runId), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (run) {
        busy = false;
        show(run);
        if (ACTIVE[run.status]) {
          later(INTERVAL_MS);
        } else {
          // Finished: the page as the server renders it now has the outcome.
          window.location.reload();
        }
      })
      .catch(function () {
        // A lost connection or an expired session: try again, less often.
        busy = false;
        later(INTERVAL_MS * 5);
      });
  }

  // Polling pauses while the tab is hidden and resumes when it is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    } else if (!document.hidden && timer === null && !busy) {
      poll();
    }
  });
  later(INTERVAL_MS);
})();

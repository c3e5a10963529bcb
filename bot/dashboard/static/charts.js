// Draws the dashboard charts from the JSON in #chart-data (the same data is in the tables).
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  // Colour-blind-safe palette (Okabe-Ito), darkened enough to read on white.
  var palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f7f00", "#000000", "#8c564b", "#6a3d9a"];
  var decisionColours = { ok: "#2e7d32", advise: "#c98a00", needs_approval: "#e65100", do_not_post: "#b71c1c" };
  function label(s) { return String(s).replace(/_/g, " "); }
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.color = "#334155";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  new Chart(document.getElementById("c-checks"), {
    type: "bar",
    data: {
      labels: data.days.map(function (d) { return d.slice(5); }),
      datasets: data.checks_by_decision.map(function (s) {
        return { label: label(s.decision), data: s.counts, backgroundColor: decisionColours[s.decision] || "#64748b" };
      })
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });

  new Chart(document.getElementById("c-cats"), {
    type: "line",
    data: {
      labels: data.weeks,
      datasets: data.findings_by_category.map(function (s, i) {
        var c = palette[i % palette.length];
        return { label: label(s.category), data: s.counts, borderColor: c, backgroundColor: c, tension: 0.2 };
      })
    },
    options: { scales: { y: { beginAtZero: true } } }
  });

  new Chart(document.getElementById("c-rules"), {
    type: "bar",
    data: {
      labels: data.top_rules.map(function (r) { return r.rule; }),
      datasets: [
        { label: "findings", data: data.top_rules.map(function (r) { return r.hits; }), backgroundColor: "#0072B2" },
        { label: "false-alarm reports", data: data.top_rules.map(function (r) { return r.false_alarms; }), backgroundColor: "#D55E00" }
      ]
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true } } }
  });

  new Chart(document.getElementById("c-ttd"), {
    type: "line",
    data: {
      labels: data.decision_weeks.map(function (w) { return w.week; }),
      datasets: [
        { label: "median (hours)", data: data.decision_weeks.map(function (w) { return w.median_hours; }), borderColor: "#0072B2", backgroundColor: "#0072B2", spanGaps: true },
        { label: "90th percentile (hours)", data: data.decision_weeks.map(function (w) { return w.p90_hours; }), borderColor: "#D55E00", backgroundColor: "#D55E00", spanGaps: true }
      ]
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "hours" } } } }
  });
})();

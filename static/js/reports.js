// Response-time reports: the figures of /api/v1/reports/response-times drawn as tiles, charts (Chart.js)
// and a table; the CSV links ask the same endpoint (and /reports/clocks) for the same query.
(function () {
  "use strict";
  const S = window.CareboxSla;
  const el = S.el;
  const form = document.getElementById("report-form");
  const errorBox = document.getElementById("report-error");
  const charts = {};
  const GROUP_HEADINGS = { day: "Day", account: "Account", network: "Network", agent: "Answered by" };

  function isoDay(date) {
    const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return local.toISOString().slice(0, 10);
  }

  function minutes(seconds) {
    return seconds === null || seconds === undefined ? null : Math.round(seconds / 6) / 10;
  }

  function query() {
    const params = new URLSearchParams();
    new FormData(form).forEach((value, key) => { if (value !== "") params.set(key, value); });
    return params;
  }

  function drawChart(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function figureCells(row, f) {
    row.append(
      el("td", "num", f.clocks), el("td", "num", f.answered),
      el("td", "num", S.duration(f.first_response.median)), el("td", "num", S.duration(f.first_response.p90)),
      el("td", "num", S.duration(f.next_response.median)), el("td", "num", S.duration(f.next_response.p90)),
      el("td", "num", S.percent(f.within_30)), el("td", "num", S.percent(f.within_60)),
      el("td", "num", f.breaches));
  }

  function render(data) {
    const t = data.totals;
    const shown = {
      first_median: S.duration(t.first_response.median), first_p90: S.duration(t.first_response.p90),
      next_median: S.duration(t.next_response.median), within_30: S.percent(t.within_30),
      within_60: S.percent(t.within_60), breaches: t.breaches,
    };
    document.querySelectorAll("[data-figure]").forEach((node) => { node.textContent = shown[node.dataset.figure]; });

    document.getElementById("group-heading").textContent = GROUP_HEADINGS[data.group];
    document.querySelector("#report-table tbody").replaceChildren(...data.groups.map((g) => {
      const row = el("tr");
      row.dataset.key = g.key === null ? "" : String(g.key);
      row.append(el("th", null, g.label));
      figureCells(row, g);
      return row;
    }));
    const total = el("tr", "total");
    total.append(el("th", null, "All"));
    figureCells(total, t);
    document.querySelector("#report-table tfoot").replaceChildren(total);

    const days = data.days.map((d) => d.day);
    drawChart("chart-response", {
      type: "line",
      data: { labels: days, datasets: [
        { label: "First response, median", data: data.days.map((d) => minutes(d.first_response.median)), spanGaps: true },
        { label: "First response, p90", data: data.days.map((d) => minutes(d.first_response.p90)), spanGaps: true },
        { label: "Next response, median", data: data.days.map((d) => minutes(d.next_response.median)), spanGaps: true },
      ] },
      options: { animation: false, scales: { y: { beginAtZero: true, title: { display: true, text: "minutes" } } } },
    });
    drawChart("chart-attainment", {
      type: "bar",
      data: { labels: days, datasets: [
        { label: "within 30 min", data: data.days.map((d) => d.within_30 === null ? null : d.within_30 * 100) },
        { label: "within 60 min", data: data.days.map((d) => d.within_60 === null ? null : d.within_60 * 100) },
      ] },
      options: { animation: false, scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } },
    });
    drawChart("chart-hours", {
      type: "bar",
      data: { labels: data.by_hour.map((_, h) => String(h).padStart(2, "0") + ":00"),
              datasets: [{ label: "clocks started", data: data.by_hour }] },
      options: { animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  async function load() {
    const params = query();
    document.getElementById("csv-figures").href = "/api/v1/reports/response-times?" + params + "&format=csv";
    document.getElementById("csv-clocks").href = "/api/v1/reports/clocks?" + params + "&format=csv";
    const resp = await fetch("/api/v1/reports/response-times?" + params, {
      headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (resp.status === 401) { window.location = "/login?next=/reports"; return; }
    const body = await resp.json();
    errorBox.hidden = resp.ok;
    if (!resp.ok) { errorBox.textContent = body.error ? body.error.message : "The report failed."; return; }
    form.dataset.loaded = "1";
    render(body);
  }

  const today = new Date();
  form.elements.to.value = isoDay(today);
  form.elements.from.value = isoDay(new Date(today.getTime() - 13 * 86400000));
  form.elements.tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  form.addEventListener("submit", (evt) => { evt.preventDefault(); load(); });
  load();
})();

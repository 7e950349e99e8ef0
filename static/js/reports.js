// Response-time reports: the figures of /api/v1/reports/response-times drawn as tiles, charts (Chart.js)
// and a table; the CSV links ask the same endpoint (and /reports/clocks) for the same query.
// When the report covers both channel kinds and has private clocks, each row of the table is followed by a row
// per channel kind (public, private) with that half's figures.
(function () {
  "use strict";
  const S = window.CareboxSla;
  const el = S.el;
  const I18n = window.CareboxI18n;
  const { _, pgettext } = I18n;
  const form = document.getElementById("report-form");
  const errorBox = document.getElementById("report-error");
  const charts = {};
  const rtl = I18n.direction === "rtl";
  const tz = I18n.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const GROUP_HEADINGS = {
    day: pgettext("report group", "Day"), account: pgettext("report group", "Account"),
    network: pgettext("report group", "Network"), channel: pgettext("report group", "Channel"),
    agent: pgettext("report group", "Answered by"),
  };
  const CHANNELS = ["public", "private"];

  // The calendar day (YYYY-MM-DD) of a moment in the user's time zone.
  function isoDay(date) {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(date);
    const part = (type) => parts.find((p) => p.type === type).value;
    return part("year") + "-" + part("month") + "-" + part("day");
  }

  // A report day ("2026-03-02") as the reader writes dates; a calendar day has no time zone of its own.
  function dayLabel(day, options) {
    return I18n.dateTime(day + "T12:00:00Z", Object.assign({ timeZone: "UTC" }, options || { dateStyle: "medium" }));
  }

  // An hour of the day (0-23) as the reader's clock shows it ("09:00", "٠٩:٠٠").
  function hourLabel(hour) {
    return I18n.dateTime(Date.UTC(2000, 0, 1, hour), { timeZone: "UTC", hour: "2-digit", minute: "2-digit" });
  }

  function groupLabel(group, g) {
    if (group === "day" && g.key) return dayLabel(g.key);
    if (group === "channel" && g.key) return S.channelName(g.key);
    return group === "network" && g.key ? S.networkName(g.key) : g.label;
  }

  // Chart.js options every chart shares: numbers in the reader's locale, legend and tooltips right to left
  // in Arabic. The time axis itself stays left to right, as numeric time axes do in right-to-left interfaces.
  function chartOptions(y, tooltipValue) {
    return {
      animation: false, locale: I18n.locale,
      scales: { y: y },
      plugins: {
        legend: { rtl: rtl, textDirection: I18n.direction },
        tooltip: { rtl: rtl, textDirection: I18n.direction, callbacks: tooltipValue ? {
          label: (ctx) => _("%(series)s: %(value)s", {
            series: ctx.dataset.label, value: ctx.parsed.y === null ? "—" : tooltipValue(ctx.parsed.y) }),
        } : {} },
      },
    };
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
      el("td", "num", I18n.number(f.clocks)), el("td", "num", I18n.number(f.answered)),
      el("td", "num", S.duration(f.first_response.median)), el("td", "num", S.duration(f.first_response.p90)),
      el("td", "num", S.duration(f.next_response.median)), el("td", "num", S.duration(f.next_response.p90)),
      el("td", "num", S.percent(f.within_30)), el("td", "num", S.percent(f.within_60)),
      el("td", "num", I18n.number(f.breaches)));
  }

  function render(data) {
    const t = data.totals;
    const shown = {
      first_median: S.duration(t.first_response.median), first_p90: S.duration(t.first_response.p90),
      next_median: S.duration(t.next_response.median), within_30: S.percent(t.within_30),
      within_60: S.percent(t.within_60), breaches: I18n.number(t.breaches),
    };
    document.querySelectorAll("[data-figure]").forEach((node) => { node.textContent = shown[node.dataset.figure]; });

    document.getElementById("group-heading").textContent = GROUP_HEADINGS[data.group];
    const split = !data.channel && data.group !== "channel" && t.channels.private.clocks > 0;
    const channelRows = (f, key) => (split ? CHANNELS.filter((c) => f.channels[c].clocks > 0).map((c) => {
      const sub = el("tr", "channel-row channel-" + c);
      sub.dataset.key = key;
      sub.dataset.channel = c;
      sub.append(el("th", "channel-name", S.channelName(c)));
      figureCells(sub, f.channels[c]);
      return sub;
    }) : []);
    document.querySelector("#report-table tbody").replaceChildren(...data.groups.flatMap((g) => {
      const row = el("tr", "group-row");
      row.dataset.key = g.key === null ? "" : String(g.key);
      const label = el("th");
      label.append(el("bdi", null, groupLabel(data.group, g)));
      row.append(label);
      figureCells(row, g);
      return [row, ...channelRows(g, row.dataset.key)];
    }));
    const total = el("tr", "total");
    total.append(el("th", null, pgettext("report total row", "All")));
    figureCells(total, t);
    document.querySelector("#report-table tfoot").replaceChildren(total, ...channelRows(t, "total"));

    const days = data.days.map((d) => dayLabel(d.day, { month: "short", day: "numeric" }));
    drawChart("chart-response", {
      type: "line",
      data: { labels: days, datasets: [
        { label: _("First response, median"), data: data.days.map((d) => minutes(d.first_response.median)), spanGaps: true },
        { label: _("First response, p90"), data: data.days.map((d) => minutes(d.first_response.p90)), spanGaps: true },
        { label: _("Next response, median"), data: data.days.map((d) => minutes(d.next_response.median)), spanGaps: true },
      ] },
      options: chartOptions({ beginAtZero: true, title: { display: true, text: _("minutes") } },
        (value) => S.duration(value * 60)),
    });
    drawChart("chart-attainment", {
      type: "bar",
      data: { labels: days, datasets: [
        { label: _("within 30 min"), data: data.days.map((d) => d.within_30 === null ? null : d.within_30 * 100) },
        { label: _("within 60 min"), data: data.days.map((d) => d.within_60 === null ? null : d.within_60 * 100) },
      ] },
      options: chartOptions({ min: 0, max: 100, ticks: { callback: (value) => I18n.percent(value / 100, 0) } },
        (value) => I18n.percent(value / 100, 1)),
    });
    drawChart("chart-hours", {
      type: "bar",
      data: { labels: data.by_hour.map((count, h) => hourLabel(h)),
              datasets: [{ label: _("clocks started"), data: data.by_hour }] },
      options: chartOptions({ beginAtZero: true, ticks: { precision: 0 } }, (value) => I18n.number(value)),
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
    if (!resp.ok) { errorBox.textContent = body.error ? body.error.message : _("The report failed."); return; }
    form.dataset.loaded = "1";
    render(body);
  }

  const today = new Date();
  form.elements.to.value = isoDay(today);
  form.elements.from.value = isoDay(new Date(today.getTime() - 13 * 86400000));
  form.elements.tz.value = tz;
  form.addEventListener("submit", (evt) => { evt.preventDefault(); load(); });
  load();
})();

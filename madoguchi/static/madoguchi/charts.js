// Charts of the insights screens, drawn from the JSON beside them (no inline script: CSP).
// Each chart's numbers are also in the table under it, which is what assistive technology reads.
(() => {
  const source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  const palette = ["#1d4f91", "#c75b12", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457"];
  Chart.defaults.font.family = '"IPAexGothic", "Noto Sans JP", "Hiragino Sans", "Meiryo", sans-serif';
  Chart.defaults.animation = false;
  for (const chart of JSON.parse(source.textContent)) {
    const canvas = document.querySelector(`canvas[data-chart="${chart.id}"]`);
    if (!canvas) continue;
    new Chart(canvas, {
      type: chart.kind,
      data: {
        labels: chart.labels,
        datasets: chart.series.map((series, i) => ({
          label: series.label,
          data: series.data,
          backgroundColor: palette[i % palette.length],
          borderColor: palette[i % palette.length],
          spanGaps: true,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: chart.stacked }, y: { stacked: chart.stacked, beginAtZero: true } },
      },
    });
  }
})();

/* Draws a horizontal bar chart above each results table marked data-chart, from the table's own numbers:
   the table stays the accessible source, and the chart can never disagree with it. Needs Chart.js. */
(function () {
  'use strict';
  if (typeof window.Chart !== 'function') return;
  document.documentElement.classList.add('js');
  var tables = document.querySelectorAll('table[data-chart]');
  Array.prototype.forEach.call(tables, function (table) {
    var labels = [];
    var values = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var head = row.querySelector('th[scope=row]');
      var cell = row.querySelector('[data-value]');
      if (!head || !cell) return;
      var value = parseFloat(cell.getAttribute('data-value'));
      labels.push(head.textContent.trim());
      values.push(isNaN(value) ? 0 : value);
    });
    if (labels.length === 0) return;
    var figure = document.createElement('figure');
    figure.className = 'chart';
    var canvas = document.createElement('canvas');
    canvas.height = Math.max(120, labels.length * 34);
    // The chart's own numbers are in the table below it; screen readers read the table.
    figure.setAttribute('aria-hidden', 'true');
    figure.appendChild(canvas);
    table.parentNode.insertBefore(figure, table);
    var line = table.getAttribute('data-chart') === 'line';
    if (line) canvas.height = 220;
    new window.Chart(canvas, {
      type: line ? 'line' : 'bar',
      data: { labels: labels, datasets: [{ data: values, backgroundColor: '#0b57a4', borderColor: '#0b57a4', pointRadius: line ? 2 : 0 }] },
      options: {
        indexAxis: line ? 'x' : 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false }, tooltip: { enabled: true } },
        scales: { x: { beginAtZero: true } }
      }
    });
  });
})();

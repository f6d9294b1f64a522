/* Draws a chart above each results table marked data-chart ("bar", "line" or "grouped"), from the table's
   own numbers: the table stays the accessible source, and the chart can never disagree with it. */
(function () {
  'use strict';
  if (typeof window.Chart !== 'function') return;
  var COLOURS = ['#0b57a4', '#b3261e', '#1e6b35', '#7a4fa3', '#b86e00', '#2b3a4a', '#00838f', '#6d4c41'];
  var tables = document.querySelectorAll('table[data-chart]');
  Array.prototype.forEach.call(tables, function (table) {
    var kind = table.getAttribute('data-chart');
    // Shares are drawn as percentages: the axis and the tooltips say so.
    var unit = table.getAttribute('data-unit') || '';
    var withUnit = function (value) { return value + unit; };
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var labels = rows.map(function (row) { var head = row.querySelector('th[scope=row]'); return head ? head.textContent.trim() : ''; });
    var valuesOf = function (row) {
      return Array.prototype.map.call(row.querySelectorAll('[data-value]'), function (cell) { var v = parseFloat(cell.getAttribute('data-value')); return isNaN(v) ? 0 : v; });
    };
    var datasets;
    if (kind === 'grouped') {
      var heads = Array.prototype.slice.call(table.tHead.rows[0].cells, 1);
      datasets = heads.map(function (head, column) {
        return { label: head.textContent.trim(), data: rows.map(function (row) { return valuesOf(row)[column] || 0; }), backgroundColor: COLOURS[column % COLOURS.length] };
      });
    } else {
      datasets = [{ data: rows.map(function (row) { return valuesOf(row)[0] || 0; }), backgroundColor: COLOURS[0], borderColor: COLOURS[0], pointRadius: kind === 'line' ? (rows.length === 1 ? 4 : 2) : 0 }];
    }
    if (labels.length === 0) return;
    var figure = document.createElement('figure');
    figure.className = 'chart';
    // The chart's numbers are in the table below it; screen readers read the table.
    figure.setAttribute('aria-hidden', 'true');
    var canvas = document.createElement('canvas');
    canvas.height = kind === 'line' ? 220 : Math.max(120, labels.length * (kind === 'grouped' ? 18 * datasets.length + 10 : 34));
    figure.appendChild(canvas);
    table.parentNode.insertBefore(figure, table);
    new window.Chart(canvas, {
      type: kind === 'line' ? 'line' : 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: kind === 'line' ? 'x' : 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: kind === 'grouped' },
          tooltip: { callbacks: { label: function (item) { return (item.dataset.label ? item.dataset.label + ': ' : '') + withUnit(item.formattedValue); } } }
        },
        scales: {
          x: {
            beginAtZero: true,
            ticks: unit && kind !== 'line' ? { callback: function () { return withUnit(window.Chart.Ticks.formatters.numeric.apply(this, arguments)); } } : {}
          },
          // Responses per day are whole numbers counted from 0: a one-day survey's single point would
          // otherwise sit on an axis from 6.6 to 7.4.
          y: kind === 'line' ? { beginAtZero: true, ticks: { precision: 0 } } : {}
        }
      }
    });
  });
})();

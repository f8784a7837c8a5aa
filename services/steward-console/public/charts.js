/* global document, uPlot */
// Draws the source page's time series with uPlot (served from node_modules, no CDN).
'use strict';
(function () {
  var root = document.querySelector('.charts[data-series]');
  if (!root || typeof uPlot === 'undefined') return;
  var en = root.getAttribute('data-lang') === 'en';
  var COLORS = ['#1565c0', '#2e7d32', '#c62828', '#ef6c00'];

  function draw(el, points, series) {
    el.textContent = '';
    if (points.length === 0) {
      el.textContent = en ? 'No data in this period.' : 'Chưa có dữ liệu trong khoảng này.';
      el.className += ' empty';
      return;
    }
    var data = [points.map(function (p) { return p.at / 1000; })];
    series.forEach(function (s) {
      data.push(points.map(function (p) { return p.values[s.key] || 0; }));
    });
    var opts = {
      width: Math.max(320, el.clientWidth || 600),
      height: 220,
      series: [{}].concat(series.map(function (s, i) {
        return { label: en ? s.en : s.vi, stroke: COLORS[i % COLORS.length], width: 2, points: { show: points.length < 3 } };
      })),
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
    };
    new uPlot(opts, data, el);
  }

  fetch(root.getAttribute('data-series'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (r) { return r.json(); })
    .then(function (s) {
      var byName = function (n) { return root.querySelector('[data-chart="' + n + '"]'); };
      draw(byName('throughput'), s.throughput, [
        { key: 'read', vi: 'đọc', en: 'read' },
        { key: 'published', vi: 'gửi', en: 'published' },
      ]);
      var errors = s.throughput.map(function (p) { return { at: p.at, values: { deadLettered: p.values.deadLettered, rejected: p.values.rejected } }; });
      draw(byName('errors'), errors, [
        { key: 'deadLettered', vi: 'bản ghi lỗi', en: 'dead-lettered' },
        { key: 'rejected', vi: 'bị từ chối', en: 'rejected' },
      ]);
      draw(byName('lag'), s.lag, [{ key: 'lag', vi: 'độ trễ', en: 'lag' }]);
      root.setAttribute('data-ready', 'true');
    })
    .catch(function (e) {
      root.setAttribute('data-ready', 'error');
      root.insertAdjacentText('beforeend', (en ? 'Cannot load the series: ' : 'Không tải được dữ liệu: ') + e.message);
    });
})();

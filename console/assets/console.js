// Loquat console: draws the charts the server rendered (their options are
// in data-option, in fen), signs in and out through /api/v1/session, and
// keeps a page's figures live through /api/v1/stream when it has one.
'use strict';

// yuan formats integer fen as ¥1,234.56, as the server does (format.go).
function yuan(fen) {
  fen = Math.round(Number(fen));
  const sign = fen < 0 ? '-' : '';
  fen = Math.abs(fen);
  const whole = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return sign + '¥' + whole + '.' + String(fen % 100).padStart(2, '0');
}

function pct(r) { return (r * 100).toFixed(1) + '%'; }

const charts = [];

function drawCharts() {
  if (!window.echarts) return;
  document.querySelectorAll('.chart').forEach(function (el) {
    const option = JSON.parse(el.dataset.option);
    const fen = JSON.parse(el.dataset.fen || '{"axes":[],"series":[]}');
    const axes = [].concat(option.yAxis || []);
    fen.axes.forEach(function (i) {
      if (axes[i]) axes[i].axisLabel = Object.assign({}, axes[i].axisLabel, { formatter: function (v) { return yuan(v); } });
    });
    const series = [].concat(option.series || []);
    fen.series.forEach(function (i) {
      if (series[i]) series[i].tooltip = { valueFormatter: function (v) { return yuan(v); } };
    });
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
}

// setFigure updates one [data-field] element from a figures message.
function setFigure(el, value) {
  if (value === undefined || value === null) return;
  const kind = el.dataset.kind;
  const out = el.querySelector('.money') || el.querySelector('.value') || el;
  if (kind === 'fen') {
    out.dataset.fen = String(value);
    out.textContent = yuan(value);
  } else if (kind === 'rate') {
    out.dataset.rate = String(value);
    out.textContent = pct(value);
  } else {
    out.dataset.count = String(value);
    out.textContent = String(value);
  }
}

// applyFigures re-renders the page from one figures message: the body the
// matching GET answers (overview, livestream or enterprise).
function applyFigures(data) {
  document.querySelectorAll('[data-field]').forEach(function (el) {
    const name = el.dataset.field;
    let value = data[name];
    if (name === 'refund_rate' && value === undefined && data.gmv_fen) value = data.refunds_fen / data.gmv_fen;
    if (name === 'peak_minute') value = data.peak_minute ? data.peak_minute.minute : undefined;
    if (name === 'peak_minute' && value !== undefined) { const pv = el.querySelector('.value'); pv.dataset.minute = value; pv.textContent = value.replace('T', ' '); return; }
    setFigure(el, value);
  });
  document.querySelectorAll('.chart[data-live]').forEach(function (el) {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) return;
    if (el.dataset.live === 'by_minute' && data.by_minute) {
      chart.setOption({
        xAxis: [{ data: data.by_minute.map(function (m) { return m.minute; }) }],
        series: [{ data: data.by_minute.map(function (m) { return m.orders; }) }, { data: data.by_minute.map(function (m) { return m.gmv_fen; }) }],
      });
    } else if (el.dataset.live === 'by_day' && data.by_day) {
      chart.setOption({
        xAxis: [{ data: data.by_day.map(function (d) { return d.date; }) }],
        series: [{ data: data.by_day.map(function (d) { return d.gmv_fen; }) }, { data: data.by_day.map(function (d) { return d.net_fen; }) }],
      });
    }
  });
}

function startStream() {
  const el = document.querySelector('[data-stream]');
  if (!el || !window.EventSource) return;
  const badge = el.querySelector('.live');
  const source = new EventSource(el.dataset.stream, { withCredentials: true });
  source.addEventListener('figures', function (ev) {
    applyFigures(JSON.parse(ev.data));
    if (badge) { badge.classList.add('on'); badge.dataset.updates = String(Number(badge.dataset.updates || 0) + 1); }
  });
  source.addEventListener('error', function () { if (badge) badge.classList.remove('on'); });
}

// safeNext keeps the redirect after sign-in on this site.
function safeNext(next) {
  return next && next.charAt(0) === '/' && next.charAt(1) !== '/' && next.charAt(1) !== '\\' ? next : '/';
}

function signInForm() {
  const form = document.getElementById('sign-in');
  if (!form) return;
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    const msg = form.querySelector('.error');
    fetch('/api/v1/session', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: form.user.value, password: form.password.value }),
    }).then(function (res) {
      if (res.ok) { location.assign(safeNext(form.dataset.next)); return; }
      msg.textContent = res.status === 429 ? form.dataset.locked : form.dataset.failed;
    }).catch(function (err) { msg.textContent = String(err); });
  });
}

function signOutLink() {
  const link = document.getElementById('sign-out');
  if (!link) return;
  link.addEventListener('click', function (ev) {
    ev.preventDefault();
    fetch('/api/v1/session', { credentials: 'same-origin' })
      .then(function (res) { return res.json(); })
      .then(function (s) {
        return fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin', headers: { 'X-CSRF-Token': s.csrf_token } });
      })
      .finally(function () { location.assign('/sign-in'); });
  });
}

document.addEventListener('DOMContentLoaded', function () {
  drawCharts();
  signInForm();
  signOutLink();
  startStream();
  document.body.dataset.ready = 'true';
});

// Store dashboard (GetRecoveryStatistics): totals, then abandoned and recovered carts, recovery
// rate and recovered revenue per day as uPlot charts (bundled, nothing fetched at run time), each
// with its numbers as a table for those who cannot see the chart, and the most abandoned products.
import uPlot from 'uplot';
import { call, stores as loadStores } from '../api.js';
import { clear, errorText, field, formatDuration, formatMoney, h, moneyValue, notice, replaceParams, select, storeOptions, table, fill } from '../dom.js';

const PERIODS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['365', 'Last 365 days']];
const COLORS = { abandoned: '#b4462b', recovered: '#2a7d4f', rate: '#5b3fa6', revenue: '#1f5f99' };

export function dashboardPage(main, params) {
  const state = { storeId: params.get('store') || '', days: params.get('days') || '30' };
  const controls = h('div', { class: 'filters', role: 'group', 'aria-label': 'Dashboard filters' });
  const body = h('div', { id: 'dashboard-body' });
  main.append(h('h1', {}, 'Store dashboard'), controls, body);
  const charts = [];
  const observer = new ResizeObserver(() => {
    for (const c of charts) c.plot.setSize({ width: chartWidth(c.box), height: 220 });
  });

  const load = async () => {
    for (const c of charts) c.plot.destroy();
    charts.length = 0;
    if (!state.storeId) {
      fill(body, h('p', { class: 'hint' }, 'Pick a store.'));
      return;
    }
    body.setAttribute('aria-busy', 'true');
    const end = new Date();
    const start = new Date(end.getTime() - Number(state.days) * 86_400_000);
    try {
      const s = await call('SegmentService/GetRecoveryStatistics', {
        storeId: state.storeId, startTime: start.toISOString(), endTime: end.toISOString(), maxTopProducts: 10
      });
      draw(s, start, end);
    } catch (e) {
      fill(body, notice('error', `Statistics not read: ${errorText(e)}`));
    } finally {
      body.removeAttribute('aria-busy');
    }
  };

  function draw(s, start, end) {
    const t = s.totals || {};
    const days = wholePeriod(s.days || [], start, end, s.timeZone);
    const rate = Number(t.recoveryRate || 0);
    fill(body, 
      h('p', { class: 'hint' }, `Days cut in the store's time zone (${s.timeZone || 'UTC'}); carts are counted on the day their abandonment started.`),
      h('ul', { class: 'tiles', id: 'dashboard-totals', 'aria-label': 'Totals of the period' },
        tile('Abandoned carts', String(Number(t.abandonedCartCount || 0)), 'abandoned'),
        tile('Recovered carts', String(Number(t.recoveredCartCount || 0)), 'recovered'),
        tile('Recovery rate', `${(rate * 100).toFixed(1)} %`, 'rate'),
        tile('Recovered revenue', formatMoney(t.recoveredRevenue), 'revenue'),
        tile('Abandoned value', formatMoney(t.abandonedValue), 'abandoned-value'),
        tile('Notifications sent', String(Number(t.sentNotificationCount || 0)), 'sent'),
        tile('Median time to recover', formatDuration(t.medianRecoveryDelay), 'delay')));
    const x = days.map((d) => Date.UTC(...d.date.split('-').map((v, i) => Number(v) - (i === 1 ? 1 : 0))) / 1000);
    const stat = (d) => d.statistics || {};
    const abandoned = days.map((d) => Number(stat(d).abandonedCartCount || 0));
    const recovered = days.map((d) => Number(stat(d).recoveredCartCount || 0));
    const rates = days.map((d) => Number(stat(d).recoveryRate || 0) * 100);
    const revenue = days.map((d) => moneyValue(stat(d).recoveredRevenue) || 0);
    const currency = (t.recoveredRevenue && t.recoveredRevenue.currencyCode) || (t.abandonedValue && t.abandonedValue.currencyCode) || '';
    const grid = h('div', { class: 'charts' });
    body.append(grid);
    chart(grid, 'chart-carts', 'Abandoned and recovered carts per day', [x, abandoned, recovered],
      [{ label: 'Abandoned', stroke: COLORS.abandoned, fill: `${COLORS.abandoned}33` }, { label: 'Recovered', stroke: COLORS.recovered, fill: `${COLORS.recovered}33` }],
      (v) => String(v), days, [abandoned, recovered]);
    chart(grid, 'chart-rate', 'Recovery rate per day (%)', [x, rates],
      [{ label: 'Recovery rate %', stroke: COLORS.rate }], (v) => `${v.toFixed(1)} %`, days, [rates]);
    chart(grid, 'chart-revenue', `Recovered revenue per day${currency ? ` (${currency})` : ''}`, [x, revenue],
      [{ label: 'Recovered revenue', stroke: COLORS.revenue, fill: `${COLORS.revenue}22` }], (v) => v.toFixed(2), days, [revenue]);
    const products = s.topAbandonedProducts || [];
    body.append(h('section', { class: 'card', 'aria-labelledby': 'top-title' },
      h('h2', { id: 'top-title' }, 'Most abandoned products'),
      products.length === 0 ? h('p', { class: 'hint' }, 'No abandoned product in this period.')
        : table(null, ['Product', 'Abandoned carts', 'Quantity', 'Value', 'Recovered carts'],
          products.map((p) => h('tr', {},
            h('th', { scope: 'row' }, `${p.productName || p.productId} (${p.productId})`),
            h('td', {}, String(Number(p.abandonedCartCount || 0))),
            h('td', {}, String(Number(p.abandonedQuantity || 0))),
            h('td', {}, formatMoney(p.abandonedValue)),
            h('td', {}, String(Number(p.recoveredCartCount || 0))))), { id: 'top-products' })));
  }

  function chart(parent, id, title, data, series, format, days, columns) {
    const box = h('div', { class: 'chart', id, role: 'img', 'aria-label': `${title}: chart, numbers in the table below` });
    const labels = series.map((s) => s.label);
    parent.append(h('figure', { class: 'card' },
      h('figcaption', {}, title), box,
      h('details', {}, h('summary', {}, 'Numbers'), table(null, ['Day', ...labels],
        days.map((d, i) => h('tr', {}, h('th', { scope: 'row' }, d.date), columns.map((c) => h('td', {}, format(c[i])))))))));
    const plot = new uPlot({
      width: chartWidth(box),
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { values: (u, ticks) => ticks.map((v) => format(v)), size: 60 }],
      series: [{ label: 'Day', value: (u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...series.map((s) => ({ ...s, width: 2, value: (u, v) => (v == null ? '—' : format(v)), points: { show: days.length <= 31 } }))]
    }, data, box);
    charts.push({ plot, box });
    observer.observe(box);
  }

  loadStores().then((stores) => {
    if (!state.storeId && stores.length) state.storeId = stores[0].storeId;
    const sync = () => {
      const p = new URLSearchParams();
      if (state.storeId) p.set('store', state.storeId);
      p.set('days', state.days);
      replaceParams(p);
      load();
    };
    controls.append(
      field('Store', select(storeOptions(stores), state.storeId, { id: 'dashboard-store', onchange: (e) => { state.storeId = e.target.value; sync(); } })),
      field('Period', select(PERIODS, state.days, { id: 'dashboard-period', onchange: (e) => { state.days = e.target.value; sync(); } })));
    load();
  }).catch((e) => controls.append(notice('error', `Stores not read: ${errorText(e)}`)));

  return () => {
    observer.disconnect();
    for (const c of charts) c.plot.destroy();
  };
}

function tile(label, value, key) {
  return h('li', { class: `tile ${key}`, dataset: { tile: key } }, h('span', { class: 'tile-label' }, label), h('span', { class: 'tile-value' }, value));
}

function chartWidth(box) {
  return Math.max(260, Math.floor((box.clientWidth || box.parentElement?.clientWidth || 600) - 4));
}

/**
 * Every local day of the period, with zeros where the answer has none, so the time axis spans the
 * period asked for even when only one day has data.
 */
function wholePeriod(days, start, end, timeZone) {
  let format;
  try {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
  }
  const byDate = new Map(days.map((d) => [d.date, d]));
  const last = format.format(end);
  for (let t = start.getTime(); ; t += 86_400_000) {
    const date = format.format(new Date(t));
    if (!byDate.has(date)) byDate.set(date, { date, statistics: {} });
    if (date >= last) break;
  }
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

// Rejected tracker events per site (the edge's own table): counts by reason, then the events
// newest first with their reason, field, message and payload, a page at a time.
import { all, get, stores as loadStores } from '../api.js';
import { clear, errorText, field, h, notice, replaceParams, select, storeOptions, table, time, fill } from '../dom.js';

// "-" is the edge's name for refusals whose site key named no site.
const UNKNOWN_SITE = '-';

export function rejectionsPage(main, params) {
  const state = { storeId: params.get('store') || '', siteId: params.get('site') || '', reason: params.get('reason') || '' };
  const controls = h('div', { class: 'filters', role: 'group', 'aria-label': 'Rejection filters' });
  const counts = h('div', { id: 'rejection-counts' });
  const list = h('div', { id: 'rejection-list' });
  main.append(h('h1', {}, 'Rejected tracker events'),
    h('p', { class: 'lead' }, 'Browser calls the edge refused, kept with their reason instead of being dropped.'),
    controls, counts, list);
  const siteBox = h('div');
  const reasonBox = h('div');

  const sync = () => {
    const p = new URLSearchParams();
    for (const [k, v] of [['store', state.storeId], ['site', state.siteId], ['reason', state.reason]]) if (v) p.set(k, v);
    replaceParams(p);
  };

  const loadList = async (before, append) => {
    if (!state.siteId) return;
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await get(`sites/${encodeURIComponent(state.siteId)}/rejections`, { reason: state.reason, before, limit: 50 });
      const rows = (page.rejections || []).map((r) => h('tr', { dataset: { reason: r.reason } },
        h('td', {}, time(r.receiveTime)),
        h('th', { scope: 'row' }, r.reason),
        h('td', {}, r.kind || '—'),
        h('td', {}, r.field || '—'),
        h('td', {}, r.message || '—'),
        h('td', {}, String(r.httpStatus)),
        h('td', {}, r.origin || '—'),
        h('td', {}, String(r.occurrences)),
        h('td', {}, r.payload ? h('details', {}, h('summary', {}, `${r.payloadBytes} bytes`), h('pre', {}, r.payload)) : '—')));
      let body = list.querySelector('tbody');
      if (!append || !body) {
        fill(list, rows.length === 0 ? h('p', { class: 'hint' }, 'No rejected event.') : table(null,
          ['Received', 'Reason', 'Call', 'Field', 'Message', 'HTTP', 'Origin', 'Times', 'Payload'], rows, { id: 'rejections' }));
        body = list.querySelector('tbody');
      } else {
        body.append(...rows);
      }
      list.querySelector('.pager')?.remove();
      if (page.nextBefore) {
        list.append(h('div', { class: 'pager' }, h('button', {
          type: 'button', class: 'secondary', onclick: () => loadList(page.nextBefore, true)
        }, 'Load older')));
      }
    } catch (e) {
      fill(list, notice('error', `Rejections not read: ${errorText(e)}`));
    } finally {
      list.removeAttribute('aria-busy');
    }
  };

  const loadCounts = async () => {
    clear(counts);
    clear(reasonBox);
    if (!state.siteId) {
      fill(list, h('p', { class: 'hint' }, 'Pick a store and a site.'));
      return;
    }
    try {
      const c = await get(`sites/${encodeURIComponent(state.siteId)}/rejections/counts`);
      const reasons = Object.entries(c.byReason || {}).sort((a, b) => b[1] - a[1]);
      fill(counts, h('p', {}, `${c.total} rejected ${c.total === 1 ? 'event' : 'events'}`),
        reasons.length ? h('ul', { class: 'reason-counts', 'aria-label': 'Rejected events by reason' },
          reasons.map(([r, n]) => h('li', {}, h('strong', {}, r), `: ${n}`))) : null);
      reasonBox.append(field('Reason', select([['', 'All reasons'], ...reasons.map(([r]) => [r, r])], state.reason, {
        id: 'rejection-reason', onchange: (e) => { state.reason = e.target.value; sync(); loadList(); }
      })));
    } catch (e) {
      counts.append(notice('error', `Counts not read: ${errorText(e)}`));
    }
    loadList();
  };

  const loadSites = async () => {
    clear(siteBox);
    let sites = [];
    if (state.storeId) {
      try {
        sites = await all('StoreService/ListSites', { storeId: state.storeId }, 'sites', 1000);
      } catch (e) {
        siteBox.append(notice('error', `Sites not read: ${errorText(e)}`));
      }
    }
    const options = [['', 'Pick a site'], ...sites.map((s) => [s.siteId, s.displayName ? `${s.displayName} (${s.siteId})` : s.siteId]),
      [UNKNOWN_SITE, 'Unknown site keys (any store)']];
    if (!state.siteId || !options.some(([v]) => v === state.siteId)) state.siteId = sites.length === 1 ? sites[0].siteId : '';
    siteBox.append(field('Site', select(options, state.siteId, {
      id: 'rejection-site', onchange: (e) => { state.siteId = e.target.value; state.reason = ''; sync(); loadCounts(); }
    })));
    sync();
    loadCounts();
  };

  loadStores().then((stores) => {
    controls.append(field('Store', select(storeOptions(stores, 'Pick a store'), state.storeId, {
      id: 'rejection-store', onchange: (e) => { state.storeId = e.target.value; state.siteId = ''; state.reason = ''; loadSites(); }
    })), siteBox, reasonBox);
    loadSites();
  }).catch((e) => controls.append(notice('error', `Stores not read: ${errorText(e)}`)));
}

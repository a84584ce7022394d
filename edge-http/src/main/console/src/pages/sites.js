// A site's page-view settings (seed 004): automatic page views on or off, and the URL journey's
// two patterns (cart page, thank-you page), saved with StoreService/UpdateSite; a box tests a
// pattern against addresses with PageViewService/TestUrlPattern before it is saved.
import { all, call, stores as loadStores } from '../api.js';
import { patternProblem } from '../condition.js';
import { clear, errorText, field, h, notice, replaceParams, select, storeOptions, table, fill } from '../dom.js';

const EXAMPLE_URLS = 'https://shop.example/cart\nhttps://shop.example/checkout/thank-you?order=1\nhttps://shop.example/p/42';

export function sitesPage(main, params) {
  const state = { storeId: params.get('store') || '', siteId: params.get('site') || '' };
  const controls = h('div', { class: 'filters', role: 'group', 'aria-label': 'Site' });
  const siteBox = h('div');
  const settings = h('div', { id: 'site-settings' });
  const tester = h('section', { id: 'pattern-tester', 'aria-labelledby': 'pattern-tester-title' });
  main.append(h('h1', {}, 'Sites'),
    h('p', { class: 'lead' }, 'Page views and URL journeys: a visit to the cart page opens a URL-tracked cart, '
      + 'a visit to the thank-you page makes it a purchase.'),
    controls, settings, tester);

  const sync = () => {
    const p = new URLSearchParams();
    for (const [k, v] of [['store', state.storeId], ['site', state.siteId]]) if (v) p.set(k, v);
    replaceParams(p);
  };

  // ---- the tester: a pattern, addresses one per line, and what matches
  const testPattern = h('input', { id: 'test-pattern', autocomplete: 'off', spellcheck: 'false', maxlength: 500, placeholder: '/cart*' });
  const testUrls = h('textarea', { id: 'test-urls', rows: 4, spellcheck: 'false' }, EXAMPLE_URLS);
  const testResult = h('div', { id: 'test-result', 'aria-live': 'polite' });
  const runTest = async () => {
    const pattern = testPattern.value.trim();
    const urls = testUrls.value.split('\n').map((u) => u.trim()).filter(Boolean).slice(0, 100);
    const problem = patternProblem(pattern);
    if (problem) {
      fill(testResult, notice('error', `Pattern: ${problem}`));
      return;
    }
    try {
      const answer = await call('PageViewService/TestUrlPattern', { pattern, urls });
      const matches = answer.matches || [];
      const normalized = answer.normalizedUrls || [];
      fill(testResult, table(`${matches.filter(Boolean).length} of ${urls.length} addresses match ${pattern}`,
        ['Address', 'As compared', 'Matches'],
        urls.map((u, i) => h('tr', { dataset: { matches: String(!!matches[i]) } },
          h('th', { scope: 'row' }, u), h('td', {}, normalized[i] || '—'), h('td', {}, matches[i] ? 'yes' : 'no'))),
        { id: 'test-table' }));
    } catch (e) {
      fill(testResult, notice('error', `Not tested: ${errorText(e)}`));
    }
  };
  tester.append(h('h2', { id: 'pattern-tester-title' }, 'Test a pattern'),
    h('p', { class: 'hint' }, '* matches anything. A pattern starting with / is compared with the path and query; one '
      + 'starting with http://, https:// or * with the whole address. Case is ignored; the fragment and tracking '
      + 'parameters (utm_…, gclid…) are removed first.'),
    h('form', { onsubmit: (e) => { e.preventDefault(); runTest(); } },
      field('Pattern', testPattern), field('Addresses, one per line', testUrls),
      h('button', { type: 'submit' }, 'Test')),
    testResult);

  // ---- the site's settings
  const drawSettings = (site) => {
    const disabled = h('input', { type: 'checkbox', id: 'page-views-off', checked: !!site.pageViewsDisabled });
    const cart = h('input', { id: 'cart-page-pattern', value: site.cartPagePattern || '', autocomplete: 'off', spellcheck: 'false', maxlength: 500,
      placeholder: '/cart*' });
    const thanks = h('input', { id: 'thank-you-page-pattern', value: site.thankYouPagePattern || '', autocomplete: 'off', spellcheck: 'false',
      maxlength: 500, placeholder: '/checkout/thank-you*' });
    const status = h('div', { id: 'site-status', 'aria-live': 'polite' });
    const tryButton = (input, text) => h('button', {
      type: 'button', class: 'secondary', onclick: () => {
        testPattern.value = input.value.trim();
        runTest();
        testPattern.focus();
      }
    }, text);
    const save = async (e) => {
      e.preventDefault();
      const c = cart.value.trim();
      const t = thanks.value.trim();
      const problems = [];
      if (c && patternProblem(c)) problems.push(`Cart page: ${patternProblem(c)}`);
      if (t && patternProblem(t)) problems.push(`Thank-you page: ${patternProblem(t)}`);
      if (!c !== !t) problems.push('Set both patterns, or neither (no URL journey).');
      if (problems.length) {
        fill(status, notice('error', problems.join(' ')));
        return;
      }
      try {
        const answer = await call('StoreService/UpdateSite', {
          site: { siteId: site.siteId, pageViewsDisabled: disabled.checked, cartPagePattern: c, thankYouPagePattern: t },
          updateMask: 'pageViewsDisabled,cartPagePattern,thankYouPagePattern'
        });
        Object.assign(site, answer.site || {});
        fill(status, notice('info', 'Saved.'));
      } catch (err) {
        fill(status, notice('error', `Not saved: ${errorText(err)}`));
      }
    };
    fill(settings, h('form', { class: 'card', onsubmit: save },
      h('h2', {}, site.displayName ? `${site.displayName} (${site.siteId})` : site.siteId),
      h('div', { class: 'field' }, h('span', { class: 'not-toggle' }, disabled,
        h('label', { for: 'page-views-off' }, 'Do not record page views on this site'))),
      field('Cart page pattern', cart, 'A view of a matching page gives the visitor a URL-tracked cart.'),
      tryButton(cart, 'Test the cart page pattern'),
      field('Thank-you page pattern', thanks, 'A view of a matching page after the cart page makes that cart a purchase.'),
      tryButton(thanks, 'Test the thank-you page pattern'),
      h('div', { class: 'group-actions' }, h('button', { type: 'submit' }, 'Save')),
      status));
  };

  const loadSites = async () => {
    clear(siteBox);
    clear(settings);
    let sites = [];
    if (state.storeId) {
      try {
        sites = await all('StoreService/ListSites', { storeId: state.storeId }, 'sites', 1000);
      } catch (e) {
        siteBox.append(notice('error', `Sites not read: ${errorText(e)}`));
      }
    }
    if (!sites.some((s) => s.siteId === state.siteId)) state.siteId = sites.length === 1 ? sites[0].siteId : '';
    const show = () => {
      const site = sites.find((s) => s.siteId === state.siteId);
      if (site) drawSettings(site);
      else fill(settings, h('p', { class: 'hint' }, 'Pick a store and a site.'));
    };
    siteBox.append(field('Site', select([['', 'Pick a site'], ...sites.map((s) => [s.siteId, s.displayName ? `${s.displayName} (${s.siteId})` : s.siteId])],
      state.siteId, { id: 'site-picker', onchange: (e) => { state.siteId = e.target.value; sync(); show(); } })));
    sync();
    show();
  };

  loadStores().then((stores) => {
    controls.append(field('Store', select(storeOptions(stores, 'Pick a store'), state.storeId, {
      id: 'site-store', onchange: (e) => { state.storeId = e.target.value; state.siteId = ''; loadSites(); }
    })), siteBox);
    loadSites();
  }).catch((e) => controls.append(notice('error', `Stores not read: ${errorText(e)}`)));
}

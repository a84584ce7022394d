// Segment builder: conditions of DESIGN §6 combined with AND / OR / NOT, a store scope, a live
// count (debounced CountContacts), the matching contacts a page at a time (ListContacts), and a CSV
// export of every page, made in the browser.
import { all, call, stores as loadStores } from '../api.js';
import { conditionEditor } from '../builder.js';
import { group, toProto } from '../condition.js';
import { clear, debounce, errorText, field, h, notice, replaceParams, select, storeOptions, table, fill } from '../dom.js';

const PAGE_SIZE = 25;
// Kept for the tab's life, so going to a contact and back keeps the segment being built.
let saved = null;

export function segmentsPage(main, params) {
  const state = saved || { root: group('and'), storeId: params.get('store') || '' };
  saved = state;
  let sequence = 0;
  let tokens = [''];
  let pageIndex = 0;

  const count = h('output', { id: 'segment-count', 'aria-live': 'polite', dataset: { state: 'loading' } }, 'Counting…');
  const problems = h('div', { id: 'segment-problems' });
  const list = h('div', { id: 'segment-contacts' });
  const exportStatus = h('span', { id: 'export-status', role: 'status' });
  const requestJson = h('pre', { id: 'segment-json' });
  const treeBox = h('div');
  const scopeBox = h('div');

  main.append(
    h('h1', {}, 'Segments'),
    h('p', { class: 'lead' }, 'Pick conditions, combine them with AND, OR and NOT; the count follows as you change them.'),
    h('div', { class: 'layout-2' },
      h('section', { 'aria-labelledby': 'builder-title', class: 'card' },
        h('h2', { id: 'builder-title' }, 'Conditions'),
        scopeBox,
        treeBox,
        problems,
        h('details', {}, h('summary', {}, 'The question as a CountContacts request (JSON)'), requestJson)),
      h('section', { 'aria-labelledby': 'result-title', class: 'card result' },
        h('h2', { id: 'result-title' }, 'Matching contacts'),
        h('p', { class: 'count' }, count),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'export-csv', onclick: () => exportCsv() }, 'Export CSV'),
          exportStatus),
        list,
        openContactForm())));

  const request = () => {
    const { condition, problems: open } = toProto(state.root);
    const body = {};
    if (condition) body.condition = condition;
    if (state.storeId) body.storeId = state.storeId;
    return { body, open };
  };

  // Marked at once, before the debounce: a number on screen is never one for an older question.
  const pending = () => {
    sequence += 1;
    count.dataset.state = 'loading';
    count.textContent = 'Counting…';
    list.dataset.state = 'loading';
  };

  const refresh = debounce(async () => {
    const mine = ++sequence;
    const { body, open } = request();
    requestJson.textContent = JSON.stringify(body, null, 2);
    clear(problems);
    if (open.length) {
      problems.append(h('ul', { class: 'problems', 'aria-label': 'Conditions not counted yet' }, open.map((p) => h('li', {}, p.text))));
    }
    count.dataset.state = 'loading';
    count.textContent = 'Counting…';
    try {
      const answer = await call('SegmentService/CountContacts', body);
      if (mine !== sequence) return;
      const n = Number(answer.count || 0);
      count.dataset.state = 'ready';
      count.dataset.count = String(n);
      count.textContent = `${n.toLocaleString()} ${n === 1 ? 'contact matches' : 'contacts match'}`;
    } catch (e) {
      if (mine !== sequence) return;
      count.dataset.state = 'error';
      count.textContent = `Not counted: ${errorText(e)}`;
    }
    tokens = [''];
    pageIndex = 0;
    showPage(mine);
  }, 350);

  async function showPage(mine = sequence) {
    const { body } = request();
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await call('SegmentService/ListContacts', { ...body, pageSize: PAGE_SIZE, pageToken: tokens[pageIndex] });
      if (mine !== sequence) return;
      tokens[pageIndex + 1] = page.nextPageToken || '';
      list.dataset.state = 'ready';
      const contacts = page.contacts || [];
      fill(list, 
        contacts.length === 0 ? h('p', { class: 'hint' }, 'No contact matches.') : table(`Page ${pageIndex + 1}`,
          ['Contact', 'E-mail', 'Name', 'Consent'],
          contacts.map((c) => h('tr', {},
            h('td', {}, h('a', { href: `#/contacts/${encodeURIComponent(c.contactId)}` }, c.contactId)),
            h('td', {}, c.email || '—'),
            h('td', {}, [c.firstName, c.lastName].filter(Boolean).join(' ') || '—'),
            h('td', {}, consentLabel(c.consent))))),
        h('nav', { class: 'pager', 'aria-label': 'Contact pages' },
          h('button', {
            type: 'button', class: 'secondary', disabled: pageIndex === 0,
            onclick: () => { pageIndex -= 1; showPage(); }
          }, 'Previous page'),
          h('button', {
            type: 'button', class: 'secondary', disabled: !page.nextPageToken,
            onclick: () => { pageIndex += 1; showPage(); }
          }, 'Next page')));
    } catch (e) {
      if (mine !== sequence) return;
      list.dataset.state = 'error';
      fill(list, notice('error', `Contacts not listed: ${errorText(e)}`));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  async function exportCsv() {
    const { body } = request();
    const button = main.querySelector('#export-csv');
    button.disabled = true;
    exportStatus.textContent = 'Exporting…';
    try {
      const contacts = await all('SegmentService/ListContacts', body, 'contacts', 1000,
        (n) => { exportStatus.textContent = `Exporting… ${n} contacts`; });
      const header = ['contact_id', 'email', 'first_name', 'last_name', 'phone', 'company', 'consent_state', 'consent_source'];
      const rows = contacts.map((c) => [c.contactId, c.email, c.firstName, c.lastName, c.phone, c.company,
        (c.consent && c.consent.state) || '', (c.consent && c.consent.source) || '']);
      const csv = [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const link = h('a', { href: url, download: `segment-${new Date().toISOString().slice(0, 10)}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      exportStatus.textContent = `Exported ${contacts.length} contacts.`;
    } catch (e) {
      exportStatus.textContent = `Export failed: ${errorText(e)}`;
    } finally {
      button.disabled = false;
    }
  }

  loadStores().then((stores) => {
    const scope = select(storeOptions(stores, 'Every store'), state.storeId, {
      id: 'segment-scope',
      onchange: (e) => {
        state.storeId = e.target.value;
        const p = new URLSearchParams();
        if (state.storeId) p.set('store', state.storeId);
        replaceParams(p);
        pending();
        refresh();
      }
    });
    scopeBox.append(field('Store scope', scope, 'Every condition, "last abandoned cart" included, looks only at this store.'));
    conditionEditor(treeBox, state.root, { stores, onChange: () => { pending(); refresh(); }, label: 'Segment conditions' });
  }).catch((e) => scopeBox.append(notice('error', `Stores not read: ${errorText(e)}`)));

  return () => refresh.cancel();
}

function openContactForm() {
  const input = h('input', { id: 'open-contact-id', autocomplete: 'off', required: true });
  return h('form', {
    class: 'inline-form', onsubmit: (e) => {
      e.preventDefault();
      if (input.value.trim()) location.hash = `#/contacts/${encodeURIComponent(input.value.trim())}`;
    }
  }, field('Open a contact by id', input), h('button', { type: 'submit', class: 'secondary' }, 'Open'));
}

export function consentLabel(consent) {
  const state = consent && consent.state;
  return { CONSENT_STATE_GRANTED: 'Granted', CONSENT_STATE_DENIED: 'Denied', CONSENT_STATE_WITHDRAWN: 'Withdrawn' }[state] || 'Not given';
}

/** One CSV cell: quoted when needed, and a leading = + - @ neutralised so spreadsheets do not run it. */
function csvCell(value) {
  let text = value == null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

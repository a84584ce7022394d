// Triggers (TriggerService): the list with pause / resume, a form to create or edit one (its
// segment condition uses the same editor as the segment builder), and a trigger's page with its
// delivery log, "why didn't this cart fire" (ExplainTrigger) and a dry run (DryRunTrigger).
import { call, requestId, stores as loadStores } from '../api.js';
import { conditionEditor } from '../builder.js';
import { describe, fromProto, toProto } from '../condition.js';
import {
  clear, durationSeconds, enumLabel, errorText, field, formatDuration, formatMoney, h, moneyText, notice, replaceParams, select,
  storeName, storeOptions, table, time, toMoney, uid, fill } from '../dom.js';
import { notificationLog, SKIP_REASONS, TRIGGER_API_MISSING } from './notifications.js';

function unavailable(box, e, what) {
  fill(box, e.unavailableMethod ? notice('info', TRIGGER_API_MISSING) : notice('error', `${what}: ${errorText(e)}`));
}

async function setState(trigger, pause) {
  return (await call(pause ? 'TriggerService/PauseTrigger' : 'TriggerService/ResumeTrigger', { triggerId: trigger.triggerId })).trigger;
}

function stateBadge(trigger) {
  const paused = trigger.state === 'TRIGGER_STATE_PAUSED';
  return h('span', { class: `badge ${paused ? 'paused' : 'active'}`, dataset: { state: trigger.state || '' } }, paused ? 'Paused' : 'Active');
}

function filtersText(t) {
  const parts = [];
  if ((t.productIds || []).length) parts.push(`products ${t.productIds.join(', ')}`);
  if (t.productNameContains) parts.push(`name contains "${t.productNameContains}"`);
  if ((t.categoryIds || []).length) parts.push(`categories ${t.categoryIds.join(', ')}`);
  if (t.minCartValue || t.maxCartValue) parts.push(`value ${t.minCartValue ? formatMoney(t.minCartValue) : '…'} – ${t.maxCartValue ? formatMoney(t.maxCartValue) : '…'}`);
  if (t.condition && Object.keys(t.condition).length) parts.push(`contacts: ${describe(t.condition)}`);
  return parts.join('; ') || 'every abandoned cart';
}

export function triggersPage(main, params) {
  const filter = { storeId: params.get('store') || '', state: params.get('state') || '' };
  const controls = h('div', { class: 'filters', role: 'group', 'aria-label': 'Trigger filters' });
  const list = h('div', { id: 'trigger-list' });
  const status = h('div', { role: 'status' });
  main.append(h('h1', {}, 'Triggers'),
    h('p', {}, h('a', { class: 'button', href: '#/triggers/new', id: 'new-trigger' }, 'New trigger')),
    controls, status, list);
  let stores = [];

  const load = async () => {
    list.setAttribute('aria-busy', 'true');
    try {
      const request = { pageSize: 1000 };
      if (filter.storeId) request.storeId = filter.storeId;
      if (filter.state) request.state = filter.state;
      const answer = await call('TriggerService/ListTriggers', request);
      const triggers = answer.triggers || [];
      fill(list, triggers.length === 0 ? h('p', { class: 'hint' }, 'No trigger yet.') : table(null,
        ['Trigger', 'Store', 'State', 'Wait', 'Filters', 'Actions'],
        triggers.map((t) => h('tr', { dataset: { trigger: t.triggerId } },
          h('th', { scope: 'row' }, h('a', { href: `#/triggers/${encodeURIComponent(t.triggerId)}` }, t.displayName || t.triggerId),
            h('span', { class: 'hint' }, ` (${t.triggerId})`)),
          h('td', {}, storeName(stores, t.storeId)),
          h('td', {}, stateBadge(t)),
          h('td', {}, formatDuration(t.wait)),
          h('td', {}, filtersText(t)),
          h('td', { class: 'row-actions' },
            h('a', { href: `#/triggers/edit/${encodeURIComponent(t.triggerId)}` }, 'Edit'),
            h('button', {
              type: 'button', class: 'link', onclick: async (e) => {
                const pause = t.state !== 'TRIGGER_STATE_PAUSED';
                e.target.disabled = true;
                try {
                  await setState(t, pause);
                  fill(status, notice('success', `${t.displayName || t.triggerId} ${pause ? 'paused' : 'resumed'}.`));
                  await load();
                } catch (err) {
                  e.target.disabled = false;
                  fill(status, notice('error', errorText(err)));
                }
              }
            }, t.state === 'TRIGGER_STATE_PAUSED' ? `Resume ${t.displayName || t.triggerId}` : `Pause ${t.displayName || t.triggerId}`))))));
    } catch (e) {
      unavailable(list, e, 'Triggers not listed');
    } finally {
      list.removeAttribute('aria-busy');
    }
  };

  loadStores().catch(() => []).then((s) => {
    stores = s;
    const sync = () => {
      const p = new URLSearchParams();
      if (filter.storeId) p.set('store', filter.storeId);
      if (filter.state) p.set('state', filter.state);
      replaceParams(p);
      load();
    };
    controls.append(
      field('Store', select(storeOptions(stores, 'All stores'), filter.storeId, { onchange: (e) => { filter.storeId = e.target.value; sync(); } })),
      field('State', select([['', 'All'], ['TRIGGER_STATE_ACTIVE', 'Active'], ['TRIGGER_STATE_PAUSED', 'Paused']], filter.state,
        { onchange: (e) => { filter.state = e.target.value; sync(); } })));
    load();
  });
}

const UPDATE_MASK = ['store_id', 'display_name', 'product_ids', 'product_name_contains', 'category_ids', 'min_cart_value',
  'max_cart_value', 'wait', 'follow_up_waits', 'condition', 'quiet_hours', 'webhook'];

/** Create (triggerId null) or edit a trigger. */
export function triggerFormPage(main, triggerId) {
  const creating = !triggerId;
  // One id per form: submitting twice (a double click, a retry after a timeout) creates one trigger.
  const createRequestId = requestId();
  const status = h('div', { id: 'trigger-form-status' });
  const formBox = h('div', {}, h('p', { class: 'hint' }, 'Loading…'));
  const dryRun = h('div', { id: 'trigger-dry-run' });
  main.append(h('h1', {}, creating ? 'New trigger' : `Edit trigger ${triggerId}`),
    h('p', {}, h('a', { href: '#/triggers' }, '← Triggers')), formBox, status, dryRun);

  const start = async () => {
    const stores = await loadStores().catch(() => []);
    let trigger = { wait: '3600s' };
    if (!creating) {
      try {
        trigger = (await call('TriggerService/GetTrigger', { triggerId })).trigger;
      } catch (e) {
        unavailable(formBox, e, 'Trigger not read');
        return;
      }
    }
    drawForm(stores, trigger);
  };

  function drawForm(stores, t) {
    const root = fromProto(t.condition);
    const inputs = {};
    const text = (name, labelText, value, props = {}, hint) => {
      inputs[name] = h('input', { value: value || '', autocomplete: 'off', dataset: { field: name }, ...props });
      return field(labelText, inputs[name], hint);
    };
    const quiet = t.quietHours || {};
    const webhook = t.webhook || {};
    const storeSelect = select(storeOptions(stores, 'Every store'), t.storeId || '', { dataset: { field: 'store_id' } });
    inputs.store_id = storeSelect;
    const currencyOf = () => (stores.find((s) => s.storeId === storeSelect.value) || {}).currencyCode || '';
    const policy = select([['QUIET_HOURS_POLICY_DELAY', 'Send when they end'], ['QUIET_HOURS_POLICY_SKIP', 'Skip']],
      quiet.policy || 'QUIET_HOURS_POLICY_DELAY', { dataset: { field: 'quiet_hours.policy' } });
    const conditionBox = h('div');
    const form = h('form', { class: 'card trigger-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(); } },
      h('fieldset', {}, h('legend', {}, 'Trigger'),
        creating ? text('trigger_id', 'Trigger id (optional)', '', { pattern: '[a-z0-9-]{1,63}' }, 'a-z, 0-9 and -; empty generates one') : null,
        text('display_name', 'Name', t.displayName, { required: true, maxlength: 200 }),
        field('Store', storeSelect, 'Carts of this store only; every store when empty')),
      h('fieldset', {}, h('legend', {}, 'Which carts'),
        text('product_ids', 'Product ids', (t.productIds || []).join(', '), {}, 'comma-separated; the cart contains one of them'),
        text('product_name_contains', 'Product name contains', t.productNameContains),
        text('category_ids', 'Category ids', (t.categoryIds || []).join(', '), {}, 'comma-separated'),
        text('min_cart_value', 'Cart value at least', moneyText(t.minCartValue), { inputmode: 'decimal' }, 'in the store\'s currency'),
        text('max_cart_value', 'Cart value at most', moneyText(t.maxCartValue), { inputmode: 'decimal' })),
      h('fieldset', {}, h('legend', {}, 'When'),
        text('wait', 'Wait after abandonment (minutes)', String(Math.round(durationSeconds(t.wait || '3600s') / 60)),
          { type: 'number', min: 1, max: 43200, required: true }, 'default 60 minutes'),
        text('follow_up_waits', 'Follow-ups (minutes after the previous step)', (t.followUpWaits || []).map((d) => Math.round(durationSeconds(d) / 60)).join(', '),
          {}, 'comma-separated, at most 5'),
        text('quiet_start', 'Quiet hours start', quiet.startLocalTime, { type: 'time' }, 'store\'s local time; leave both empty for none'),
        text('quiet_end', 'Quiet hours end', quiet.endLocalTime, { type: 'time' }),
        field('During quiet hours', policy)),
      h('fieldset', {}, h('legend', {}, 'Contacts (optional segment condition)'), conditionBox),
      h('fieldset', {}, h('legend', {}, 'Webhook'),
        text('webhook.url', 'URL', webhook.url, { type: 'url', required: true, maxlength: 2000 }, 'https, or http for localhost'),
        text('webhook.secret', 'Signing secret', '', { type: 'password', autocomplete: 'new-password' },
          creating ? 'at least 16 characters; or name a configured secret below' : (webhook.hasSecret ? 'a secret is stored; leave empty to keep it' : '')),
        text('webhook.secret_ref', 'or secret name in the segment service\'s configuration', webhook.secretRef || '')),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', id: 'trigger-save' }, creating ? 'Create trigger' : 'Save changes'),
        h('button', { type: 'button', class: 'secondary', onclick: () => tryIt() }, 'Dry run (not saved)')));
    fill(formBox, form);
    conditionEditor(conditionBox, root, { stores, onChange: () => {}, label: 'Trigger segment condition' });

    const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
    const minutes = (v) => `${Math.round(Number(v) * 60)}s`;

    const build = () => {
      const problems = [];
      const out = { displayName: inputs.display_name.value.trim(), storeId: storeSelect.value };
      if (creating && inputs.trigger_id.value.trim()) out.triggerId = inputs.trigger_id.value.trim();
      if (!creating) out.triggerId = triggerId;
      out.productIds = list(inputs.product_ids.value);
      out.productNameContains = inputs.product_name_contains.value.trim();
      out.categoryIds = list(inputs.category_ids.value);
      for (const key of ['min_cart_value', 'max_cart_value']) {
        const v = inputs[key].value.trim();
        if (!v) continue;
        const money = toMoney(v, currencyOf());
        if (!money) problems.push([key, 'enter an amount such as 100 or 19.99']);
        else out[key === 'min_cart_value' ? 'minCartValue' : 'maxCartValue'] = money;
      }
      const wait = Number(inputs.wait.value);
      if (!(wait >= 1)) problems.push(['wait', 'enter a number of minutes, at least 1']);
      else out.wait = minutes(wait);
      const followUps = list(inputs.follow_up_waits.value);
      if (followUps.some((v) => !(Number(v) >= 1))) problems.push(['follow_up_waits', 'each follow-up is a number of minutes, at least 1']);
      else out.followUpWaits = followUps.map(minutes);
      const qs = inputs.quiet_start.value;
      const qe = inputs.quiet_end.value;
      if (qs || qe) out.quietHours = { startLocalTime: qs, endLocalTime: qe, policy: policy.value };
      const { condition, problems: open } = toProto(root);
      if (open.length) problems.push(['condition', open.map((p) => p.text).join('; ')]);
      if (condition) out.condition = condition;
      out.webhook = { url: inputs['webhook.url'].value.trim() };
      if (inputs['webhook.secret'].value) out.webhook.secret = inputs['webhook.secret'].value;
      else if (inputs['webhook.secret_ref'].value.trim()) out.webhook.secretRef = inputs['webhook.secret_ref'].value.trim();
      return { trigger: out, problems };
    };

    const showProblems = (problems) => {
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      for (const el of form.querySelectorAll('.field-error')) el.remove();
      let first = null;
      for (const [name, text] of problems) {
        const key = name.replace(/^trigger\./, '');
        const input = inputs[key] || inputs[key.split('.')[0]] || (key.startsWith('webhook') ? inputs['webhook.url'] : null)
          || (key.startsWith('quiet_hours') ? inputs.quiet_start : null);
        const id = uid('err');
        const message = h('span', { class: 'field-error', id }, text);
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby') || ''} ${id}`.trim());
          input.closest('.field').append(message);
          first = first || input;
        } else {
          conditionBox.append(message);
        }
      }
      fill(status, notice('error', `Not saved: ${problems.map(([n, t]) => `${n}: ${t}`).join('; ')}`));
      if (first) first.focus();
    };

    async function save() {
      const { trigger, problems } = build();
      if (problems.length) {
        showProblems(problems);
        return;
      }
      const button = form.querySelector('#trigger-save');
      button.disabled = true;
      try {
        const saved = creating
          ? (await call('TriggerService/CreateTrigger', { requestId: createRequestId, trigger })).trigger
          : (await call('TriggerService/UpdateTrigger', { trigger, updateMask: UPDATE_MASK.map(camel).join(',') })).trigger;
        location.hash = `#/triggers/${encodeURIComponent(saved.triggerId)}`;
      } catch (e) {
        button.disabled = false;
        if (e.unavailableMethod) fill(status, notice('info', TRIGGER_API_MISSING));
        else if (e.violations.length) showProblems(e.violations.map((v) => [v.field, v.description]));
        else fill(status, notice('error', `Not saved: ${errorText(e)}`));
      }
    }

    async function tryIt() {
      const { trigger, problems } = build();
      if (problems.length) {
        showProblems(problems);
        return;
      }
      delete trigger.webhook;
      dryRunTable(dryRun, { trigger }, null);
    }
  }

  start();
}

function camel(snake) {
  return snake.replace(/_([a-z])/g, (m, c) => c.toUpperCase());
}

/** Dry run of a stored or inline trigger into `box`; onExplain, if given, is offered per cart. */
async function dryRunTable(box, source, onExplain) {
  fill(box, h('h2', {}, 'Dry run'), h('p', { class: 'hint', role: 'status' }, 'Looking for matching carts…'));
  try {
    const answer = await call('TriggerService/DryRunTrigger', { ...source, pageSize: 200 });
    const matches = answer.matches || [];
    fill(box, h('h2', {}, 'Dry run'),
      h('p', { role: 'status' }, `${matches.length}${answer.nextPageToken ? '+' : ''} abandoned ${matches.length === 1 ? 'cart matches' : 'carts match'} now; nothing was sent.`),
      matches.length ? table(null, ['Cart', 'Contact', 'Total', 'Abandoned', 'Due', 'Would be', ...(onExplain ? [''] : [])],
        matches.map((m) => h('tr', {},
          h('th', { scope: 'row' }, `${m.cartId} (${m.storeId}), episode ${m.episode || 1}`),
          h('td', {}, m.contactId ? h('a', { href: `#/contacts/${encodeURIComponent(m.contactId)}` }, m.contactId) : '—'),
          h('td', {}, formatMoney(m.cartTotal)),
          h('td', {}, time(m.abandonTime)),
          h('td', {}, time(m.dueTime)),
          h('td', {}, m.alreadyNotified ? 'Already notified' : (m.skipReason ? `Skipped: ${SKIP_REASONS[m.skipReason] || enumLabel(m.skipReason, 'SKIP_REASON_')}` : 'Sent')),
          onExplain ? h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => onExplain(m) }, `Explain ${m.cartId}`)) : null)))
        : null);
  } catch (e) {
    unavailable(box, e, 'Dry run failed');
  }
}

const CHECKS = {
  TRIGGER_CHECK_KIND_TRIGGER_ACTIVE: 'Trigger is active',
  TRIGGER_CHECK_KIND_STORE: 'Cart is in the trigger\'s store',
  TRIGGER_CHECK_KIND_CART_ABANDONED: 'Cart is abandoned',
  TRIGGER_CHECK_KIND_CONTACT_KNOWN: 'Cart belongs to a known contact',
  TRIGGER_CHECK_KIND_PRODUCTS: 'Product filter',
  TRIGGER_CHECK_KIND_PRODUCT_NAME: 'Product name filter',
  TRIGGER_CHECK_KIND_CATEGORIES: 'Category filter',
  TRIGGER_CHECK_KIND_CART_VALUE: 'Cart value filter',
  TRIGGER_CHECK_KIND_SEGMENT_CONDITION: 'Segment condition',
  TRIGGER_CHECK_KIND_WAIT_ELAPSED: 'Wait is over',
  TRIGGER_CHECK_KIND_EMAIL: 'Contact has an e-mail',
  TRIGGER_CHECK_KIND_CONSENT: 'Contact granted consent',
  TRIGGER_CHECK_KIND_NOT_SUPPRESSED: 'Contact is not erased',
  TRIGGER_CHECK_KIND_NO_LATER_PURCHASE: 'No purchase since the cart changed',
  TRIGGER_CHECK_KIND_OUTSIDE_QUIET_HOURS: 'Outside quiet hours'
};
const OUTCOMES = { CHECK_OUTCOME_PASSED: ['passed', 'Passed'], CHECK_OUTCOME_FAILED: ['failed', 'Failed'], CHECK_OUTCOME_NOT_APPLICABLE: ['na', 'Not used'] };

export function triggerDetailPage(main, triggerId) {
  const heading = h('h1', {}, `Trigger ${triggerId}`);
  const summary = h('section', { class: 'card', 'aria-labelledby': 'summary-title' }, h('h2', { id: 'summary-title' }, 'Settings'), h('p', { class: 'hint' }, 'Loading…'));
  const log = h('div', { id: 'trigger-log' });
  const explainOut = h('div', { id: 'explain-result', 'aria-live': 'polite' });
  const dry = h('div', { id: 'trigger-dry-run' });
  const store = h('input', { id: 'explain-store', autocomplete: 'off', required: true });
  const cart = h('input', { id: 'explain-cart', autocomplete: 'off', required: true });
  const episode = h('input', { id: 'explain-episode', type: 'number', min: 0, value: '0' });
  const stateFilter = select([['', 'All'], ['NOTIFICATION_STATE_PENDING', 'Pending'], ['NOTIFICATION_STATE_SENT', 'Sent'],
    ['NOTIFICATION_STATE_SKIPPED', 'Skipped'], ['NOTIFICATION_STATE_FAILED', 'Failed']], '', { id: 'log-state' });
  const explain = async () => {
    fill(explainOut, h('p', { class: 'hint' }, 'Checking…'));
    try {
      const r = await call('TriggerService/ExplainTrigger', { triggerId, storeId: store.value.trim(), cartId: cart.value.trim(), episode: Number(episode.value || 0) });
      fill(explainOut, 
        notice(r.wouldFire ? 'success' : 'info', r.wouldFire
          ? `Episode ${r.episode}: every check passes — this cart is (or will be) notified.`
          : `Episode ${r.episode}: it does not fire; the failed checks say why.`),
        h('ol', { class: 'checks' }, (r.checks || []).map((c) => {
          const [cls, label] = OUTCOMES[c.outcome] || ['na', c.outcome];
          return h('li', { class: `check ${cls}` }, h('span', { class: `badge ${cls}` }, label), ' ',
            h('strong', {}, CHECKS[c.kind] || enumLabel(c.kind, 'TRIGGER_CHECK_KIND_')), c.detail ? ` — ${c.detail}` : '');
        })),
        (r.notifications || []).length ? h('p', {}, `Already made: ${r.notifications.map((n) => `step ${n.step} ${enumLabel(n.state, 'NOTIFICATION_STATE_')}`).join(', ')}`) : null);
    } catch (e) {
      unavailable(explainOut, e, 'Not explained');
    }
  };
  main.append(heading, h('p', {}, h('a', { href: '#/triggers' }, '← Triggers')), summary,
    h('section', { class: 'card', 'aria-labelledby': 'explain-title' },
      h('h2', { id: 'explain-title' }, 'Why didn\'t this cart fire?'),
      h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); explain(); } },
        field('Store id', store), field('Cart id', cart), field('Episode', episode, '0 for the latest'),
        h('button', { type: 'submit' }, 'Explain')),
      explainOut),
    h('section', { class: 'card', 'aria-labelledby': 'dry-title' },
      h('h2', { id: 'dry-title' }, 'Which abandoned carts does it match now?'),
      h('button', {
        type: 'button', class: 'secondary', onclick: () => dryRunTable(dry, { triggerId }, (m) => {
          store.value = m.storeId;
          cart.value = m.cartId;
          episode.value = String(m.episode || 0);
          explain();
          cart.focus();
        })
      }, 'Dry run'), dry),
    h('section', { class: 'card', 'aria-labelledby': 'log-title' },
      h('h2', { id: 'log-title' }, 'Delivery log'),
      h('div', { class: 'filters' }, field('State', stateFilter)), log));
  const loadLog = () => notificationLog(log, { triggerId, states: stateFilter.value ? [stateFilter.value] : [] }, { showTrigger: false });
  stateFilter.addEventListener('change', loadLog);

  const drawSummary = (stores, t) => {
    heading.textContent = `Trigger ${t.displayName || t.triggerId}`;
    if (t.storeId && !store.value) store.value = t.storeId;
    const toggle = h('button', {
      type: 'button', id: 'trigger-toggle', onclick: async () => {
        toggle.disabled = true;
        try {
          drawSummary(stores, await setState(t, t.state !== 'TRIGGER_STATE_PAUSED'));
          main.querySelector('#trigger-toggle').focus();
        } catch (e) {
          toggle.disabled = false;
          summary.append(notice('error', errorText(e)));
        }
      }
    }, t.state === 'TRIGGER_STATE_PAUSED' ? 'Resume' : 'Pause');
    const q = t.quietHours;
    fill(summary, h('h2', { id: 'summary-title' }, 'Settings'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', {}, stateBadge(t)),
        h('dt', {}, 'Store'), h('dd', {}, storeName(stores, t.storeId)),
        h('dt', {}, 'Carts'), h('dd', {}, filtersText(t)),
        h('dt', {}, 'Wait'), h('dd', {}, formatDuration(t.wait), (t.followUpWaits || []).length ? `, then ${t.followUpWaits.map(formatDuration).join(', ')}` : ''),
        h('dt', {}, 'Quiet hours'), h('dd', {}, q ? `${q.startLocalTime}–${q.endLocalTime} (${q.policy === 'QUIET_HOURS_POLICY_SKIP' ? 'skip' : 'delay'})` : 'none'),
        h('dt', {}, 'Webhook'), h('dd', {}, t.webhook ? `${t.webhook.url}${t.webhook.hasSecret ? ' (signed)' : ''}${t.webhook.secretRef ? ` (secret ${t.webhook.secretRef})` : ''}` : '—'),
        h('dt', {}, 'Created'), h('dd', {}, time(t.createTime)),
        h('dt', {}, 'Changed'), h('dd', {}, time(t.updateTime))),
      h('div', { class: 'actions' }, toggle, h('a', { class: 'button secondary', href: `#/triggers/edit/${encodeURIComponent(t.triggerId)}` }, 'Edit')));
  };

  loadStores().catch(() => []).then(async (stores) => {
    try {
      drawSummary(stores, (await call('TriggerService/GetTrigger', { triggerId })).trigger);
    } catch (e) {
      unavailable(summary, e, 'Trigger not read');
    }
    loadLog();
  });
}

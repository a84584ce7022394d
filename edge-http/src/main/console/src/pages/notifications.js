// The delivery log as a table (TriggerService.ListNotifications), shared by the contact page and
// the trigger page. While the segment service does not offer the trigger API, it says so instead.
import { call } from '../api.js';
import { clear, enumLabel, errorText, h, notice, table, time, fill } from '../dom.js';

export const SKIP_REASONS = {
  SKIP_REASON_NO_CONSENT: 'No consent',
  SKIP_REASON_CONVERTED: 'Cart was bought',
  SKIP_REASON_REOPENED: 'Cart changed again',
  SKIP_REASON_QUIET_HOURS: 'Quiet hours',
  SKIP_REASON_SUPPRESSED: 'Contact erased',
  SKIP_REASON_NO_EMAIL: 'No e-mail address',
  SKIP_REASON_CONTACT_PURCHASED: 'Contact bought since',
  SKIP_REASON_CONDITION_NOT_MET: 'Segment condition no longer held',
  SKIP_REASON_TRIGGER_PAUSED: 'Trigger paused',
  SKIP_REASON_TRIGGER_DELETED: 'Trigger deleted',
  SKIP_REASON_CART_PURGED: 'Cart purged by retention'
};

export const TRIGGER_API_MISSING = 'The trigger API is not available: the segment service behind this edge does not offer TriggerService yet.';

/**
 * Fills `box` with the notifications matching `filter`, a page at a time. `columns` picks which
 * of contact / trigger to show (the page already names the other).
 */
export function notificationLog(box, filter, { showContact = true, showTrigger = true } = {}) {
  const tokens = [''];
  let index = 0;
  const load = async () => {
    box.setAttribute('aria-busy', 'true');
    try {
      const page = await call('TriggerService/ListNotifications', { ...filter, pageSize: 50, pageToken: tokens[index] });
      tokens[index + 1] = page.nextPageToken || '';
      const items = page.notifications || [];
      const headers = ['State', 'Reason or error', ...(showTrigger ? ['Trigger'] : []), 'Cart', ...(showContact ? ['Contact'] : []),
        'Episode / step', 'Due', 'Attempts', 'Done'];
      fill(box, items.length === 0 ? h('p', { class: 'hint' }, 'No notification.') : table(null, headers,
        items.map((n) => h('tr', {},
          h('td', {}, h('span', { class: `badge ${String(n.state || '').toLowerCase()}` }, enumLabel(n.state, 'NOTIFICATION_STATE_'))),
          h('td', {}, n.skipReason ? (SKIP_REASONS[n.skipReason] || enumLabel(n.skipReason, 'SKIP_REASON_'))
            : (n.lastError ? `${n.lastError}${n.lastStatusCode ? ` (HTTP ${n.lastStatusCode})` : ''}` : '—')),
          showTrigger ? h('td', {}, h('a', { href: `#/triggers/${encodeURIComponent(n.triggerId)}` }, n.triggerId)) : null,
          h('td', {}, `${n.cartId} (${n.storeId})`),
          showContact ? h('td', {}, n.contactId ? h('a', { href: `#/contacts/${encodeURIComponent(n.contactId)}` }, n.contactId) : '—') : null,
          h('td', {}, `${n.episode || 1} / ${n.step || 1}`),
          h('td', {}, time(n.dueTime)),
          h('td', {}, String(n.attemptCount || 0)),
          h('td', {}, time(n.completeTime))))),
      tokens[index + 1] || index > 0 ? h('nav', { class: 'pager', 'aria-label': 'Notification pages' },
        h('button', { type: 'button', class: 'secondary', disabled: index === 0, onclick: () => { index -= 1; load(); } }, 'Newer'),
        h('button', { type: 'button', class: 'secondary', disabled: !tokens[index + 1], onclick: () => { index += 1; load(); } }, 'Older'))
        : null);
    } catch (e) {
      fill(box, e.unavailableMethod ? notice('info', TRIGGER_API_MISSING) : notice('error', `Notifications not read: ${errorText(e)}`));
    } finally {
      box.removeAttribute('aria-busy');
    }
  };
  load();
  return load;
}

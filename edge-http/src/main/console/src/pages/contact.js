// Contact page (seed 003's profile): identity and consent, carts and orders per store with their
// status and the "abandoned before" mark, filters by store and status, the notifications sent and
// skipped, and erasure behind a confirmation dialog.
import { call, requestId, stores as loadStores } from '../api.js';
import { clear, enumLabel, errorText, field, formatMoney, h, notice, replaceParams, select, storeName, storeOptions, table, time, uid, fill } from '../dom.js';
import { notificationLog } from './notifications.js';
import { consentLabel } from './segments.js';

const STATUSES = [
  ['', 'All orders'],
  ['ORDER_STATUS_COMPLETED', 'Completed'],
  ['ORDER_STATUS_RECOVERED', 'Recovered'],
  ['ORDER_STATUS_ABANDONED', 'Abandoned'],
  ['ORDER_STATUS_ACTIVE', 'Active carts']
];

export function contactPage(main, contactId, params) {
  const filter = { storeId: params.get('store') || '', status: params.get('status') || '' };
  const heading = h('h1', {}, `Contact ${contactId}`);
  const identity = h('section', { class: 'card', 'aria-labelledby': 'identity-title' },
    h('h2', { id: 'identity-title' }, 'Identity and consent'), h('p', { class: 'hint' }, 'Loading…'));
  const filters = h('div', { class: 'filters', role: 'group', 'aria-label': 'Order filters' });
  const orders = h('div', { id: 'contact-orders' });
  const notifications = h('div', { id: 'contact-notifications' });
  const eraseResult = h('div', { id: 'erase-result' });
  main.append(heading,
    h('p', {}, h('a', { href: '#/segments' }, '← Segments')),
    identity,
    h('section', { class: 'card', 'aria-labelledby': 'orders-title' },
      h('h2', { id: 'orders-title' }, 'Carts and orders'), filters, orders),
    h('section', { class: 'card', 'aria-labelledby': 'notifications-title' },
      h('h2', { id: 'notifications-title' }, 'Notifications sent and skipped'), notifications),
    h('section', { class: 'card danger-zone', 'aria-labelledby': 'erase-title' },
      h('h2', { id: 'erase-title' }, 'Erase'),
      h('p', {}, 'Erasing deletes this contact\'s carts, transactions, facts and notifications in every service, and stops tracking it. It cannot be undone.'),
      h('button', { type: 'button', class: 'danger', id: 'erase-open', onclick: () => confirmErase() }, 'Erase contact…'),
      eraseResult));

  let stores = [];

  const loadIdentity = async () => {
    try {
      const answer = await call('ContactService/GetContact', { contactId });
      const c = answer.contact || {};
      const name = [c.firstName, c.lastName].filter(Boolean).join(' ');
      if (name) heading.textContent = `${name} (${contactId})`;
      const consent = c.consent || {};
      fill(identity, h('h2', { id: 'identity-title' }, 'Identity and consent'),
        h('dl', { class: 'facts', id: 'contact-identity' },
          h('dt', {}, 'Contact id'), h('dd', {}, c.contactId),
          h('dt', {}, 'E-mail'), h('dd', { id: 'contact-email' }, c.email || '—'),
          h('dt', {}, 'Name'), h('dd', {}, name || '—'),
          h('dt', {}, 'Phone'), h('dd', {}, c.phone || '—'),
          h('dt', {}, 'Company'), h('dd', {}, c.company || '—'),
          h('dt', {}, 'Consent'), h('dd', { id: 'contact-consent' }, consentLabel(consent),
            consent.source ? ` (${consent.source})` : '', consent.updateTime ? [' — ', time(consent.updateTime)] : ''),
          h('dt', {}, 'Created'), h('dd', {}, time(c.createTime)),
          h('dt', {}, 'Changed'), h('dd', {}, time(c.updateTime))),
        (answer.visitorLinks || []).length ? table('Visitors linked to this contact', ['Store', 'Visitor', 'Linked'],
          answer.visitorLinks.map((v) => h('tr', {}, h('td', {}, storeName(stores, v.storeId)), h('td', {}, v.visitorId), h('td', {}, time(v.linkTime)))))
          : null);
    } catch (e) {
      fill(identity, h('h2', { id: 'identity-title' }, 'Identity and consent'),
        e.httpStatus === 404 ? notice('info', 'No contact record with this id: it was erased, or is known only through carts and purchases.')
          : notice('error', `Contact not read: ${errorText(e)}`));
    }
  };

  const loadOrders = async () => {
    orders.setAttribute('aria-busy', 'true');
    const request = { contactId, maxOrdersPerStore: 200 };
    if (filter.storeId) request.storeId = filter.storeId;
    if (filter.status) request.orderStatuses = [filter.status];
    try {
      const profile = await call('ContactService/GetContactProfile', request);
      const perStore = profile.stores || [];
      fill(orders, perStore.length === 0 ? h('p', { class: 'hint' }, 'No cart or order.')
        : perStore.map((s) => storeSection(s, stores)));
    } catch (e) {
      fill(orders, notice('error', `Profile not read: ${errorText(e)}`));
    } finally {
      orders.removeAttribute('aria-busy');
    }
  };

  const setFilter = (key, value) => {
    filter[key] = value;
    const p = new URLSearchParams();
    if (filter.storeId) p.set('store', filter.storeId);
    if (filter.status) p.set('status', filter.status);
    replaceParams(p);
    loadOrders();
  };

  function confirmErase() {
    const titleId = uid('dlg');
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'confirm', id: 'erase-dialog' },
      h('form', { method: 'dialog' },
        h('h2', { id: titleId }, `Erase contact ${contactId}?`),
        h('p', {}, 'Its carts, transactions, commerce facts and notifications are deleted in every service, and it will not be tracked again.'),
        h('div', { class: 'actions' },
          h('button', { value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
          h('button', { value: 'erase', class: 'danger', id: 'erase-confirm' }, 'Erase everywhere'))));
    dialog.addEventListener('close', async () => {
      const choice = dialog.returnValue;
      dialog.remove();
      const opener = main.querySelector('#erase-open');
      if (choice !== 'erase') {
        opener.focus();
        return;
      }
      opener.disabled = true;
      fill(eraseResult, notice('info', 'Erasing…'));
      try {
        const r = await call('ContactService/EraseContact', { requestId: requestId(), contactId });
        fill(eraseResult, notice('success', `Contact erased: ${Number(r.cart?.deletedCartCount || 0)} carts, `
          + `${Number(r.transaction?.deletedTransactionCount || 0)} transactions, `
          + `${Number(r.segment?.deletedNotificationCount || 0)} notifications deleted.`));
        loadIdentity();
        loadOrders();
      } catch (e) {
        opener.disabled = false;
        fill(eraseResult, notice('error', `Not erased: ${errorText(e)}. Erasing again finishes it.`));
      }
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  loadStores().catch(() => []).then((list) => {
    stores = list;
    filters.append(
      field('Store', select(storeOptions(stores, 'All stores'), filter.storeId, { id: 'orders-store', onchange: (e) => setFilter('storeId', e.target.value) })),
      field('Status', select(STATUSES, filter.status, { id: 'orders-status', onchange: (e) => setFilter('status', e.target.value) })));
    loadIdentity();
    loadOrders();
    notificationLog(notifications, { contactId }, { showContact: false });
  });
}

const STATUS_CLASS = {
  ORDER_STATUS_COMPLETED: 'completed', ORDER_STATUS_RECOVERED: 'recovered', ORDER_STATUS_ABANDONED: 'abandoned', ORDER_STATUS_ACTIVE: 'active'
};

function storeSection(s, stores) {
  const titleId = uid('store');
  const last = s.lastAbandonedCart;
  return h('section', { class: 'store-profile', 'aria-labelledby': titleId, dataset: { store: s.storeId } },
    h('h3', { id: titleId }, storeName(stores, s.storeId)),
    h('dl', { class: 'facts inline' },
      h('dt', {}, 'Purchases'), h('dd', {}, String(Number(s.purchaseCount || 0))),
      h('dt', {}, 'Spent'), h('dd', {}, (s.purchaseTotals || []).map((m) => formatMoney(m)).join(' + ') || '—'),
      h('dt', {}, 'Last purchase'), h('dd', {}, time(s.lastPurchaseTime)),
      h('dt', {}, 'Abandoned (all time)'), h('dd', {}, String(Number(s.abandonedCartCount || 0))),
      h('dt', {}, 'Recovered (all time)'), h('dd', {}, String(Number(s.recoveredCartCount || 0))),
      h('dt', {}, 'Last abandoned cart'), h('dd', {}, last
        ? `${last.cartId}: ${formatMoney(last.total)}, ${last.productCount || 0} products${last.status ? `, status ${last.status}` : ''}, episode ${last.episode || 1}`
        : 'none')),
    (s.orders || []).length === 0 ? h('p', { class: 'hint' }, 'No order with this status.') : ordersTable(s.orders));
}

function ordersTable(orders) {
  const rows = [];
  for (const o of orders) {
    const detailsId = uid('items');
    const items = o.items || [];
    const detail = h('tr', { id: detailsId, class: 'items-row', hidden: true },
      h('td', { colspan: 6 }, items.length === 0 ? 'No product.' : h('ul', { class: 'items' }, items.map((i) =>
        h('li', {}, `${i.quantity || 1} × ${i.productName || i.productId} (${i.productId})`,
          i.category ? `, ${i.category}` : '', ` — ${formatMoney(i.unitPrice)}`)))));
    const toggle = h('button', {
      type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': detailsId,
      onclick: () => {
        const open = detail.hidden;
        detail.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
      }
    }, `Products (${items.length})`);
    const statusCell = h('td', {}, h('span', { class: `badge ${STATUS_CLASS[o.status] || ''}`, dataset: { status: o.status } },
      enumLabel(o.status, 'ORDER_STATUS_')));
    // Seed 003's purple mark beside a bought (or reopened) cart that had been abandoned, with its
    // sentence for pointer and screen-reader users alike. Beside "Abandoned" it would say nothing
    // the status does not, so it is left out there.
    if (o.previouslyAbandoned && o.status !== 'ORDER_STATUS_ABANDONED') {
      statusCell.append(' ', h('span', { class: 'mark-abandoned', title: 'This cart was abandoned before', role: 'img', 'aria-label': 'This cart was abandoned before' }, '↺'));
    }
    rows.push(h('tr', { class: 'order', dataset: { status: o.status, cart: o.cartId || '', transaction: o.transactionId || '' } },
      h('th', { scope: 'row' }, o.transactionId ? `Order ${o.transactionId}` : `Cart ${o.cartId}`,
        o.transactionId && o.cartId ? h('span', { class: 'hint' }, ` (cart ${o.cartId})`) : ''),
      h('td', {}, formatMoney(o.total)),
      h('td', {}, time(o.orderTime)),
      statusCell,
      h('td', {}, o.cartStatus || '—'),
      h('td', {}, toggle)), detail);
  }
  return table(null, ['Order', 'Total', 'Date', 'Status', 'Cart step', 'Products'], rows, { class: 'orders' });
}


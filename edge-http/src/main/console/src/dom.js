// A few DOM and formatting helpers: the console builds its pages with plain DOM calls, so nothing
// from the API is ever parsed as HTML.

/** Creates an element: props are attributes, except on* (listeners) and value/checked (properties). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value' || key === 'checked' || key === 'selected') {
      el[key] = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let idCounter = 0;

/** A document-unique id, to tie labels and descriptions to controls. */
export function uid(prefix = 'c') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled control: the label is always visible, so the builder works without a mouse or eyes. */
export function field(labelText, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  const children = [h('label', { for: id }, labelText), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    children.push(h('span', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, children);
}

export function select(options, value, props = {}) {
  return h('select', props, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

/** A table in a scrolling wrapper, so wide tables never widen a phone's page. */
export function table(caption, headers, rows, props = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', props,
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
}

/** A message region: role=alert for errors (read out at once), role=status otherwise. */
export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorText(e) {
  if (!e) return '';
  const parts = [e.message || String(e)];
  for (const v of e.violations || []) parts.push(`${v.field}: ${v.description}`);
  return parts.join(' — ');
}

/** proto3 JSON Money ({currencyCode, units: "12", nanos: 500000000}) as a number, or null. */
export function moneyValue(m) {
  if (!m) return null;
  return Number(m.units || 0) + (m.nanos || 0) / 1e9;
}

export function formatMoney(m, fallbackCurrency = '') {
  if (!m) return '—';
  const value = moneyValue(m);
  const currency = m.currencyCode || fallbackCurrency;
  if (!currency) return value.toFixed(2);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

/** A decimal text ("19.99") as an exact Money, or null if it is not one. */
export function toMoney(text, currencyCode = '') {
  const match = /^\s*(-?)(\d{1,18})(?:[.,](\d{1,9}))?\s*$/.exec(text || '');
  if (!match) return null;
  const sign = match[1] === '-' ? -1 : 1;
  const units = match[2].replace(/^0+(?=\d)/, '');
  const nanos = Number((match[3] || '').padEnd(9, '0')) * sign;
  const money = { units: sign < 0 && units !== '0' ? `-${units}` : units, nanos };
  if (currencyCode) money.currencyCode = currencyCode;
  return money;
}

/** Money as the decimal text the forms show. */
export function moneyText(m) {
  if (!m) return '';
  const negative = String(m.units || '0').startsWith('-') || (m.nanos || 0) < 0;
  const units = String(m.units || '0').replace('-', '');
  const nanos = String(Math.abs(m.nanos || 0)).padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${units}${nanos ? `.${nanos}` : ''}`;
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A time element: readable text, exact value in datetime for assistive technology and scripts. */
export function time(iso) {
  return iso ? h('time', { datetime: iso }, formatTime(iso)) : '—';
}

/** proto3 JSON Duration ("3600s", "1.5s") as seconds. */
export function durationSeconds(d) {
  if (!d) return 0;
  return Number(String(d).replace(/s$/, '')) || 0;
}

export function formatDuration(d) {
  let s = Math.round(durationSeconds(d));
  if (!s) return '—';
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]]) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)} ${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
}

/** An enum name without its prefix, readable: ORDER_STATUS_RECOVERED → "Recovered". */
export function enumLabel(value, prefix) {
  if (!value) return '—';
  const rest = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  const words = rest.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function storeName(stores, id) {
  if (!id) return 'Any store';
  const s = stores.find((x) => x.storeId === id);
  return s && s.displayName ? `${s.displayName} (${id})` : id;
}

export function storeOptions(stores, anyLabel) {
  const options = stores.map((s) => [s.storeId, s.displayName ? `${s.displayName} (${s.storeId})` : s.storeId]);
  return anyLabel ? [['', anyLabel], ...options] : options;
}

/** Calls fn once calls stop for `ms` (the live count waits for the user to pause typing). */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** Changes the hash query without adding a history entry (filters, not navigation). */
export function replaceParams(params) {
  const raw = location.hash.split('?')[0] || '#/';
  const query = params.toString();
  history.replaceState(null, '', `${raw}${query ? `?${query}` : ''}`);
}

/** Replaces an element's content; arrays are flattened and null / false children left out. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

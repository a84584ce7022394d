/*
 * Relance browser tracker.
 *
 * Drop-in for Dialog Insight's DI.Journey.ECommerce (seed 000): a page written for that API works
 * by changing only the script URL. The wire format and the meaning of every answer are in
 * docs/tracker-protocol.md; this file follows it.
 *
 * The edge serves this file minified, preceded by one statement:
 *   window.__relanceConfig = {siteKey, endpoint, trackingMode, pageViews};
 *
 * Public surface (window.DI.Journey.ECommerce and window.Relance are the same object):
 *   AddCart, UpdateCart, AddCartItem, UpdateCartItem, RemoveCartItem, ClearCart, SubmitCart,
 *   AddTransaction, AddItem, SubmitTransaction, Identify, TrackPageView.
 *
 * Page views (seed 004): one is recorded when the page has loaded, and again whenever a
 * single-page app changes the address (history.pushState / replaceState, popstate) other than by
 * its fragment. Off for the whole site when the edge says pageViews: false, off for one page with
 * <meta name="relance-page-views" content="off"> or window.RelancePageViews = false set before the
 * script; TrackPageView() records one by hand either way.
 *   Every function returns undefined and never throws; bad input is reported with console.warn
 *   ("Relance: <call>: <parameter> ...") and the call is dropped.
 *
 * Calls made before the script has loaded: push [name, args] arrays into window.DI.Journey.q or
 * window.RelanceQ; they are replayed in order at load, and later pushes run at once.
 *
 * Debugging and test hooks (not part of the seed's API):
 *   Relance._state()  -> {visitorId, cartId, pending, sending, contactToken}
 *                        pending: submits stored and not yet confirmed by the edge;
 *                        contactToken: true while a Relance link's token waits to be delivered.
 *   Relance.flush()   -> Promise resolving, once the send in flight (and whatever it chains to)
 *                        has settled, to the last HTTP status seen (0 = network error, null = never
 *                        sent). Starts a send if submits are stored and no retry delay is running.
 */
(() => {
  'use strict';

  const w = window;
  const doc = document;
  const cfg = w.__relanceConfig || {};
  // A second copy of the script on the same page must not reset the queue or the listeners.
  if (w.Relance && w.Relance._state) return;

  const Q_KEY = '_rl_q';
  const CART_KEY = '_rl_cart';
  const VID_KEY = '_rlvid';
  const CT_KEY = '_rl_ct';

  // console can be missing or replaced in odd embeds; reporting must never throw.
  const say = (level, msg) => { try { console[level]('Relance: ' + msg); } catch (e) { /* nothing to do */ } };
  const warn = (msg) => say('warn', msg);

  // ---- storage: localStorage when it works, memory otherwise (private mode, blocked storage)
  const memory = {};
  const getItem = (k) => {
    try { const v = localStorage.getItem(k); return v === null ? memory[k] : v; } catch (e) { return memory[k]; }
  };
  const setItem = (k, v) => {
    memory[k] = v;
    try {
      if (v === undefined) localStorage.removeItem(k); else localStorage.setItem(k, v);
    } catch (e) {
      // Full or blocked: a stale stored copy must not shadow the memory one.
      try { localStorage.removeItem(k); } catch (e2) { /* memory keeps it */ }
    }
  };
  const loadQueue = () => {
    try { const q = JSON.parse(getItem(Q_KEY) || '[]'); return Array.isArray(q) ? q : []; } catch (e) { return []; }
  };
  // At most 100 submits and 200 K characters; the oldest go first.
  const saveQueue = (q) => {
    let text = JSON.stringify(q);
    let dropped = 0;
    while (q.length > 100 || (q.length && text.length > 204800)) {
      q.shift();
      dropped++;
      text = JSON.stringify(q);
    }
    if (dropped) warn('queue full, dropped ' + dropped);
    setItem(Q_KEY, q.length ? text : undefined);
  };

  // 128 random bits. getRandomValues, unlike randomUUID, also exists on plain-http shops (not a
  // secure context), and in every browser that runs ES2017.
  const newId = (prefix) => prefix + Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => (x + 256).toString(16).slice(1)).join('');

  // ---- visitor id: first-party cookie, mirrored in localStorage so either can restore the other
  const VID_RE = /^[A-Za-z0-9._-]{8,100}$/;
  const cookie = doc.cookie.match(/(?:^|; )_rlvid=([^;]*)/);
  // test() would take a missing value as the text "undefined": check the value first.
  const usable = (v) => v && VID_RE.test(v);
  let visitorId = cookie && cookie[1];
  if (!usable(visitorId)) visitorId = getItem(VID_KEY);
  if (!usable(visitorId)) visitorId = newId('v1.');
  try {
    doc.cookie = VID_KEY + '=' + visitorId + '; path=/; max-age=31536000; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  } catch (e) { /* sandboxed documents refuse cookies; localStorage still has it */ }
  setItem(VID_KEY, visitorId);

  // ---- Relance link: take the contact token and clean the address bar, other parameters kept
  // byte for byte (URLSearchParams' re-serialisation would not guarantee that)
  try {
    const search = location.search;
    if (/[?&]rl_(ct|cart)=/.test(search)) {
      const params = new URLSearchParams(search);
      if (params.get('rl_ct')) setItem(CT_KEY, params.get('rl_ct'));
      const kept = search.slice(1).split('&').filter((p) => p && !/^rl_(ct|cart)(=|$)/.test(p));
      history.replaceState(history.state, '', location.pathname + (kept.length ? '?' + kept.join('&') : '') + location.hash);
    }
  } catch (e) { warn('link: ' + e); }

  // ---- argument rules (seed 000, DESIGN §4): the parameters each call takes, * = required.
  // A parameter's type follows from its name: money/float (m), integer (i), else text (s).
  const RULES = {
    AddCart: 'idCart* status TotalPrice*',
    UpdateCart: 'idCart* status TotalPrice',
    AddCartItem: 'idCart* idProduct* productName* category idCategory priceunit* quantity*',
    UpdateCartItem: 'idCart* idProduct* productName category idCategory priceunit quantity',
    RemoveCartItem: 'idCart* idProduct*',
    AddTransaction: 'idTransaction* idCart affiliation revenue* tax* shipping*',
    AddItem: 'idTransaction* productName* idProduct* category idCategory Price_unit* Price_total* quantity*',
    Identify: 'contactId email firstName lastName'
  };
  const KIND = { TotalPrice: 'm', priceunit: 'm', revenue: 'm', tax: 'm', shipping: 'm', Price_unit: 'm', Price_total: 'm', quantity: 'i' };
  const PATTERN = { m: /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/, i: /^\s*[-+]?\d+\s*$/ };
  const TYPE_TEXT = { s: 'a string', m: 'a number', i: 'an integer' };

  const typeOk = (kind, v) => {
    const t = typeof v;
    if (t === 'number') return isFinite(v) && (kind !== 'i' || Math.floor(v) === v);
    return t === 'string' && (kind === 's' || PATTERN[kind].test(v));
  };

  // The arguments the seed names, values as given; null (after warning) if unusable.
  const check = (fn, a) => {
    const out = {};
    let ok = true;
    if (a === null || typeof a !== 'object') a = {};
    for (const rule of RULES[fn].split(' ')) {
      const k = rule.replace('*', '');
      const v = a[k];
      const kind = KIND[k] || 's';
      if (v === undefined || v === null || v === '') {
        if (k !== rule) { warn(fn + ': ' + k + ' is required'); ok = false; }
      } else if (typeOk(kind, v)) {
        out[k] = v;
      } else {
        warn(fn + ': ' + k + ' must be ' + TYPE_TEXT[kind]);
        ok = false;
      }
    }
    return ok ? out : null;
  };

  // ---- operations of this page, not yet submitted
  let cartCalls = [];
  let txnCalls = [];
  let toldCartsOff = false;

  const cartAllowed = () => {
    if (cfg.trackingMode !== 'TRANSACTIONS_ONLY') return true;
    if (!toldCartsOff) say('info', 'transactions only: cart calls ignored');
    toldCartsOff = true;
    return false;
  };

  const cartOp = (fn) => (a) => {
    const args = cartAllowed() && check(fn, a);
    if (!args) return;
    cartCalls.push({ fn, args });
    setItem(CART_KEY, String(args.idCart));
  };

  const txnOp = (fn) => (a) => {
    const args = check(fn, a);
    if (args) txnCalls.push({ fn, args });
  };

  const addSubmit = (s) => {
    s.id = newId('s1.');
    s.time = Date.now();
    const q = loadQueue();
    q.push(s);
    saveQueue(q);
    schedule();
  };

  const api = {
    AddCart: cartOp('AddCart'),
    UpdateCart: cartOp('UpdateCart'),
    AddCartItem: cartOp('AddCartItem'),
    UpdateCartItem: cartOp('UpdateCartItem'),
    RemoveCartItem: cartOp('RemoveCartItem'),
    ClearCart() {
      if (!cartAllowed()) return;
      const idCart = getItem(CART_KEY);
      if (idCart) cartCalls.push({ fn: 'ClearCart', args: { idCart } });
      else warn('ClearCart: idCart unknown (no earlier cart call)');
    },
    SubmitCart() {
      if (!cartAllowed() || !cartCalls.length) return;
      addSubmit({ type: 'cart', calls: cartCalls });
      cartCalls = [];
    },
    AddTransaction: txnOp('AddTransaction'),
    AddItem: txnOp('AddItem'),
    SubmitTransaction() {
      if (!txnCalls.length) return warn('SubmitTransaction: nothing to submit');
      // A purchased cart is closed on the server; ClearCart() must not reach it afterwards.
      for (const c of txnCalls) {
        if (c.fn === 'AddTransaction' && c.args.idCart !== undefined && String(c.args.idCart) === getItem(CART_KEY)) setItem(CART_KEY, undefined);
      }
      addSubmit({ type: 'transaction', calls: txnCalls });
      txnCalls = [];
    },
    Identify(a) {
      const args = check('Identify', a);
      if (!args) return;
      if (args.contactId === undefined && args.email === undefined) return warn('Identify: contactId or email is required');
      addSubmit({ type: 'identify', args });
    },
    // Optional {url, title, referrer}: a virtual page of an app; the current page otherwise.
    TrackPageView(a) {
      a = a && typeof a === 'object' ? a : {};
      let href = location.href;
      if (a.url !== undefined) {
        try { href = new URL(String(a.url), href).href; } catch (e) { return warn('TrackPageView: url must be a URL'); }
      }
      view(href, a.title !== undefined ? String(a.title) : doc.title, a.referrer !== undefined ? String(a.referrer) : lastViewed || doc.referrer);
    }
  };

  // ---- page views. The id is the submit's; time is when the page was shown.
  let lastViewed = '';
  const view = (href, title, referrer) => {
    addSubmit({ type: 'pageview', args: { url: href, referrer: (referrer || '').slice(0, 2000), title: (title || '').slice(0, 500) } });
    lastViewed = href;
  };

  // ---- sending
  const url = cfg.endpoint && cfg.siteKey ? cfg.endpoint + '/t/' + encodeURIComponent(cfg.siteKey) : null;
  if (!url) warn('not configured, nothing is sent');
  let sending = null;
  let lastStatus = null;
  let failures = 0;
  let notBefore = 0;
  let timer;
  let scheduled = false;

  const envelope = (submits) => {
    const b = { v: 1, visitorId, page: location.href, submits };
    const ct = getItem(CT_KEY);
    if (ct) b.contactToken = ct;
    return b;
  };

  // The stored submits to send next: in order, at most 50 and about 400 K characters (the edge
  // takes 500 KB).
  const nextBatch = () => {
    const out = [];
    let size = 0;
    for (const s of loadQueue()) {
      size += JSON.stringify(s).length;
      if (out.length === 50 || (out.length && size > 409600)) break;
      out.push(s);
    }
    return out;
  };

  const forget = (sent) => {
    const ids = sent.submits.map((s) => s.id);
    saveQueue(loadQueue().filter((s) => !ids.includes(s.id)));
    if (sent.contactToken && getItem(CT_KEY) === sent.contactToken) setItem(CT_KEY, undefined);
  };

  // 429 waits for Retry-After (readable because the edge exposes it); 5xx and network errors
  // wait 1, 2, 4 … 64 s. A new page retries at once.
  const retryLater = (seconds) => {
    failures = Math.min(failures + 1, 7);
    const ms = (seconds >= 0 ? seconds : Math.pow(2, failures - 1)) * 1000;
    notBefore = Date.now() + ms;
    clearTimeout(timer);
    timer = setTimeout(pump, ms);
    return false;
  };

  // Resolves to true when the edge took the batch for good (applied or refused for ever).
  const post = (b) => {
    const text = JSON.stringify(b);
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: text,
      credentials: 'omit',
      // Browsers refuse keepalive bodies over 64 KB in total.
      keepalive: text.length < 60000
    }).then((r) => {
      const status = lastStatus = r.status;
      if (status === 429 || status >= 500) return retryLater(status === 429 ? parseInt(r.headers.get('Retry-After'), 10) : NaN);
      failures = 0;
      forget(b);
      if (status === 202) {
        return r.json().then((j) => {
          for (const x of j.rejected || []) warn('rejected ' + JSON.stringify(x));
        }, () => 0).then(() => true);
      }
      if (status > 299) warn('batch refused, HTTP ' + status);
      return true;
    }, () => {
      // A network error, or a refusal that CORS hides from the page: keep and retry.
      lastStatus = 0;
      return retryLater(NaN);
    });
  };

  const loop = () => {
    const batch = nextBatch();
    if (!batch.length) return lastStatus;
    // Stop if the batch is still first in line (storage that cannot forget must not loop).
    return post(envelope(batch)).then((done) => (done && (nextBatch()[0] || batch[0]).id !== batch[0].id ? loop() : lastStatus));
  };

  function pump() {
    scheduled = false;
    if (sending) return sending;
    if (!url || Date.now() < notBefore || !loadQueue().length) return Promise.resolve(lastStatus);
    sending = Promise.resolve().then(loop)
      .catch((e) => { warn('send failed: ' + e); return lastStatus; })
      .then((s) => { sending = null; return s; });
    return sending;
  }

  // Submits made by one synchronous script travel in one batch.
  const schedule = () => {
    if (!scheduled) Promise.resolve().then(pump);
    scheduled = true;
  };

  // visibilitychange and pagehide usually come together; one beacon per hiding is enough. Its
  // submits stay stored until a fetch confirms them (the edge drops repeats).
  let beaconed = '';
  const beacon = () => {
    const batch = url && navigator.sendBeacon ? nextBatch() : [];
    const ids = batch.map((s) => s.id).join();
    if (batch.length && ids !== beaconed &&
        navigator.sendBeacon(url, new Blob([JSON.stringify(envelope(batch))], { type: 'text/plain;charset=UTF-8' }))) beaconed = ids;
  };

  // ---- public object: every entry wrapped so nothing reaches the shop's page as an exception
  const pub = {};
  for (const name in api) {
    pub[name] = (...a) => {
      try { api[name](...a); } catch (e) { warn(name + ' failed: ' + e); }
    };
  }
  pub._state = () => ({
    visitorId, cartId: getItem(CART_KEY) || null, pending: loadQueue().length, sending: !!sending, contactToken: !!getItem(CT_KEY)
  });
  pub.flush = () => {
    try { return pump(); } catch (e) { return Promise.resolve(lastStatus); }
  };

  // ---- automatic page views: at load (once the head is parsed, for the title and the opt-out
  // meta), then at each single-page-app navigation that changes more than the fragment
  const bare = (u) => u.split('#')[0];
  const autoViews = () => {
    const pageOff = () => w.RelancePageViews === false ||
      /^(off|false|no|0)$/i.test((doc.querySelector('meta[name="relance-page-views"]') || {}).content || '');
    if (cfg.pageViews === false) return;
    const start = () => {
      try {
        if (pageOff()) return;
        view(location.href, doc.title, doc.referrer);
        const changed = () => {
          const href = location.href;
          if (bare(href) === bare(lastViewed)) return;
          const from = lastViewed;
          lastViewed = href;
          // Apps set the new title after changing the address.
          setTimeout(() => { try { view(href, doc.title, from); } catch (e) { warn('page view failed: ' + e); } }, 0);
        };
        for (const name of ['pushState', 'replaceState']) {
          const original = history[name];
          if (typeof original !== 'function') continue;
          history[name] = function () {
            const result = original.apply(this, arguments);
            try { changed(); } catch (e) { /* the app's navigation must go on */ }
            return result;
          };
        }
        w.addEventListener('popstate', () => { try { changed(); } catch (e) { /* nothing to do */ } });
      } catch (e) { warn('page views: ' + e); }
    };
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', start);
    else start();
  };

  const run = (item) => {
    if (Array.isArray(item) && api.hasOwnProperty(item[0])) pub[item[0]](...item.slice(1));
    else warn('unknown call ' + (Array.isArray(item) ? item[0] : item));
  };

  const drain = (q) => {
    q = Array.isArray(q) ? q : [];
    q.forEach(run);
    q.length = 0;
    q.push = (...items) => { items.forEach(run); return 0; };
    return q;
  };

  try {
    const journey = (w.DI = w.DI || {}).Journey = w.DI.Journey || {};
    journey.ECommerce = w.Relance = pub;
    journey.q = drain(journey.q);
    w.RelanceQ = drain(w.RelanceQ);
    // What an earlier page left unsent goes now.
    if (loadQueue().length) schedule();
    autoViews();
    doc.addEventListener('visibilitychange', () => { if (doc.visibilityState === 'hidden') beacon(); else beaconed = ''; });
    w.addEventListener('pagehide', beacon);
  } catch (e) { warn('could not start: ' + e); }
})();

// Drives Debian's Chromium through one tracker scenario for the edge's Java browser tests.
//
//   node scenario.mjs <scenario> <fixtureBaseUrl> <edgeBaseUrl>
//
// The Java test serves fixtures/ at fixtureBaseUrl (with {{EDGE}} and {{SITE_KEY}} replaced) and
// asserts the stored state through gRPC afterwards. This driver checks what only the browser can
// see (page errors, console warnings, what was sent, the address bar) and waits until every send
// has been answered. Its last stdout line is one JSON object: {"ok":true,...} with exit code 0,
// or {"ok":false,"error":...} with exit code 1.
//
// Environment: RELANCE_CONTACT_TOKEN (identify), RELANCE_FOREIGN_BASE (foreign-origin),
// RELANCE_EMAIL (url-purchase: identify the buyer at the end), RELANCE_CHROMIUM (default
// /usr/bin/chromium).
//
// Every page with the tracker records a page view (type "pageview") unless told not to; the cart
// scenarios below count only the other submits, and those that need a page to send nothing but
// their own calls turn page views off for it (newContext(browser, { pageViews: false })).

import { chromium } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OVERALL_TIMEOUT_MS = 30_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const [scenarioName, fixtureArg, edgeArg] = process.argv.slice(2);
const trim = (u) => (u || '').replace(/\/+$/, '');
const fixtureBase = trim(fixtureArg);
const edgeBase = trim(edgeArg);
// Each run makes its own ids so reruns against one database never meet (seed pages excepted:
// they keep the seed's ids).
const run = randomBytes(5).toString('hex');
const shotDir = mkdtempSync(join(tmpdir(), 'relance-shots-'));

// ---- observations, filled by listeners on every context
const obs = { warnings: [], infos: [], pageErrors: [], sends: [] };
let sendSeq = 0;

class ScenarioFailure extends Error {}
function expect(condition, message) {
  if (!condition) throw new ScenarioFailure(message);
}

function isTrackerPost(req) {
  return req.method() === 'POST' && /\/t\/[^/?]+$/.test(new URL(req.url()).pathname);
}

function watch(context) {
  context.on('console', (m) => {
    if (m.type() === 'warning') obs.warnings.push(m.text());
    else if (m.type() === 'info') obs.infos.push(m.text());
  });
  context.on('weberror', (e) => obs.pageErrors.push(String(e.error())));
  context.on('page', (p) => p.on('pageerror', (e) => {
    const text = String(e);
    if (!obs.pageErrors.includes(text)) obs.pageErrors.push(text);
  }));
  const byRequest = new Map();
  context.on('request', (req) => {
    if (!isTrackerPost(req)) return;
    let body = null;
    try { body = JSON.parse(req.postData() || 'null'); } catch { body = { unparsable: req.postData() }; }
    const send = { n: ++sendSeq, kind: req.resourceType(), contentType: req.headers()['content-type'] || null, body, status: null, failure: null };
    byRequest.set(req, send);
    obs.sends.push(send);
  });
  context.on('response', (res) => {
    const send = byRequest.get(res.request());
    if (send) send.status = res.status();
  });
  context.on('requestfailed', (req) => {
    const send = byRequest.get(req);
    if (send) send.failure = req.failure()?.errorText || 'failed';
  });
}

async function newContext(browser, { pageViews = true } = {}) {
  const context = await browser.newContext();
  if (!pageViews) await context.addInitScript(() => { window.RelancePageViews = false; });
  watch(context);
  return context;
}

// Waits until the tracker has nothing in flight, and reports its state.
async function settle(page) {
  const status = await page.evaluate(() => window.Relance.flush());
  const state = await page.evaluate(() => window.Relance._state());
  return { status, state };
}

async function waitFor(what, predicate, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ScenarioFailure(`timed out waiting for ${what}: ${JSON.stringify(obs.sends)}`);
}

const answered = () => obs.sends.filter((s) => s.status !== null);
const everySubmitSent = (filter = () => true) => {
  // The same submit can travel twice (beacon, retry); count it once, in first-sent order.
  const seen = new Map();
  for (const s of obs.sends.filter(filter)) for (const sub of s.body?.submits || []) if (!seen.has(sub.id)) seen.set(sub.id, sub);
  return [...seen.values()];
};
// Submits made by the page's calls (page views left out).
const submitsSent = (filter) => everySubmitSent(filter).filter((s) => s.type !== 'pageview');
const viewsSent = () => everySubmitSent().filter((s) => s.type === 'pageview');

function expectAllAnswered204(state) {
  expect(state.pending === 0, `tracker still holds ${state.pending} unsent submit(s)`);
  expect(answered().length > 0, 'no /t/ request was answered');
  const other = obs.sends.filter((s) => s.status !== 204);
  expect(other.length === 0, `expected every /t/ answer to be 204, saw ${JSON.stringify(other.map((s) => s.status ?? s.failure))}`);
}

async function shot(page, label) {
  const file = join(shotDir, `${scenarioName}-${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const fixture = (page, query = '') => `${fixtureBase}/${page}${query}`;

// ---- scenarios: each returns the observations the Java side needs (ids to assert on)
const scenarios = {
  async 'seed-new-cart'(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('seed-new-cart.html'));
    const { state } = await settle(page);
    expectAllAnswered204(state);
    expect(state.cartId === 'C001', `remembered cart is ${state.cartId}, expected C001`);
    expect(obs.warnings.length === 0, 'the seed example must not warn');
    return { cartId: 'C001', state, screenshot: await shot(page, 'page') };
  },

  async 'seed-modify-cart'(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('seed-modify-cart.html'));
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const calls = submitsSent()[0]?.calls.map((c) => `${c.fn}:${c.args.idProduct}`);
    expect(JSON.stringify(calls) === JSON.stringify(['RemoveCartItem:222', 'RemoveCartItem:333', 'UpdateCartItem:111']),
      `unexpected calls sent: ${JSON.stringify(calls)}`);
    expect(obs.warnings.length === 0, 'the seed example must not warn');
    return { cartId: 'C012', state, screenshot: await shot(page, 'page') };
  },

  async 'seed-thank-you'(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('seed-thank-you-cart.html'));
    const before = await settle(page);
    expect(before.state.cartId === '7890', `remembered cart is ${before.state.cartId}, expected 7890`);
    await page.goto(fixture('seed-thank-you.html'));
    const { state } = await settle(page);
    expectAllAnswered204(state);
    expect(state.cartId === null, 'a purchased cart must no longer be the current cart');
    const types = submitsSent().map((s) => s.type);
    expect(JSON.stringify(types) === '["cart","transaction"]', `unexpected submits: ${JSON.stringify(types)}`);
    expect(obs.warnings.length === 0, 'the seed example must not warn');
    return { cartId: '7890', transactionId: '1234', state, screenshot: await shot(page, 'thank-you') };
  },

  async 'clear-cart-later-page'(browser) {
    const cartId = `CLR-${run}`;
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('clear-cart-a.html', `?run=${run}`));
    await settle(page);
    await page.goto(fixture('clear-cart-b.html'));
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const last = submitsSent().at(-1);
    expect(last && JSON.stringify(last.calls) === JSON.stringify([{ fn: 'ClearCart', args: { idCart: cartId } }]),
      `page B should send ClearCart for ${cartId}, sent ${JSON.stringify(last?.calls)}`);
    return { cartId, state };
  },

  async 'async-load'(browser) {
    const cartId = `ASY-${run}`;
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('async-load.html', `?run=${run}`));
    await page.waitForFunction(() => window.pushedAfterLoad === true, null, { timeout: 10_000 });
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const sent = submitsSent().map((s) => s.calls.map((c) => c.fn).join(','));
    const wanted = ['AddCart,AddCartItem,AddCartItem,UpdateCartItem,RemoveCartItem', 'UpdateCartItem,UpdateCart', 'UpdateCart'];
    expect(JSON.stringify(sent) === JSON.stringify(wanted), `queued calls replayed as ${JSON.stringify(sent)}`);
    expect(obs.warnings.length === 0, `unexpected warnings: ${JSON.stringify(obs.warnings)}`);
    return { cartId, state };
  },

  async misuse(browser) {
    const cartId = `MIS-${run}`;
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('misuse.html', `?run=${run}`));
    await page.waitForFunction(() => window.misuseDone === true, null, { timeout: 10_000 });
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const wanted = ['ClearCart: idCart', 'AddCart: idCart is required', 'AddCart: TotalPrice is required',
      'AddCart: idCart must be a string', 'AddCart: TotalPrice must be a number', 'AddCartItem: quantity must be an integer',
      'AddCartItem: priceunit must be a number', 'AddCartItem: quantity is required', 'UpdateCartItem: quantity must be an integer',
      'RemoveCartItem: idProduct is required', 'AddTransaction: tax is required', 'AddItem: quantity is required',
      'SubmitTransaction', 'Identify: contactId or email is required', 'unknown call NoSuchCall', 'unknown call not-an-array'];
    const missing = wanted.filter((w) => !obs.warnings.some((text) => text.startsWith('Relance: ') && text.includes(w)));
    expect(missing.length === 0, `no console.warn for ${JSON.stringify(missing)}; saw ${JSON.stringify(obs.warnings)}`);
    const sent = submitsSent();
    expect(sent.length === 1 && sent[0].type === 'cart' && JSON.stringify(sent[0].calls) ===
      JSON.stringify([{ fn: 'AddCart', args: { idCart: cartId, status: 'SelectProducts', TotalPrice: 10 } }]),
    `only the valid AddCart may be sent, sent ${JSON.stringify(sent)}`);
    return { cartId, warnings: obs.warnings.length, state };
  },

  async 'beacon-on-hide'(browser) {
    const cartId = `BCN-${run}`;
    const context = await newContext(browser, { pageViews: false });
    const page = await context.newPage();
    await page.goto(fixture('tracker-only.html', `?run=${run}`));
    const submitId = await page.evaluate((idCart) => {
      // Only a beacon can deliver: the tracker's fetches fail as if the network dropped them.
      // (Playwright's routing would not do: Chromium's beacons bypass it.)
      window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
      const E = window.DI.Journey.ECommerce;
      E.AddCart({ idCart, status: 'SelectProducts', TotalPrice: '129.00' });
      E.AddCartItem({ idCart, idProduct: 'B1', productName: 'Headphones', category: 'Audio', priceunit: '129.00', quantity: '1' });
      E.SubmitCart();
      const id = JSON.parse(localStorage.getItem('_rl_q'))[0].id;
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
      return id;
    }, cartId);
    // Playwright does not expose a beacon's body; with fetch disabled, any answered beacon is ours.
    // The page stays until the answer is seen: a navigation right away lets the beacon go on in the
    // browser but hides its answer from Playwright (ERR_ABORTED), which would prove nothing here.
    await waitFor('the beacon to be answered', () => obs.sends.some((s) => s.kind !== 'fetch' && s.status !== null));
    await page.goto(fixture('no-tracker.html'));
    const beacon = obs.sends.find((s) => s.kind !== 'fetch' && s.status !== null);
    expect(beacon.status === 204, `the beacon was answered ${beacon.status}`);
    expect(/^text\/plain/.test(beacon.contentType || ''), `the beacon was sent as ${beacon.contentType}`);
    expect(!obs.sends.some((s) => s.kind === 'fetch'), 'a fetch got out; the test proves nothing');
    return { cartId, submitId, beaconStatus: beacon.status };
  },

  async 'offline-then-retry'(browser) {
    const cartId = `OFF-${run}`;
    const context = await newContext(browser, { pageViews: false });
    const unreachable = (route) => route.abort('internetdisconnected');
    await context.route('**/t/**', unreachable);
    const page = await context.newPage();
    await page.goto(fixture('offline.html', `?run=${run}`));
    const offline = await settle(page);
    expect(offline.status === 0 && offline.state.pending === 1, `while offline: ${JSON.stringify(offline)}`);
    const submitId = await page.evaluate(() => JSON.parse(localStorage.getItem('_rl_q'))[0].id);
    // Leave while still offline, so the page-hide beacon must fail too (Playwright's routing does
    // not see Chromium's beacons).
    await page.evaluate(() => { navigator.sendBeacon = () => false; });
    await page.goto('about:blank');
    await context.unroute('**/t/**', unreachable);
    const failedBefore = obs.sends.length;
    await page.goto(fixture('tracker-only.html'));
    const { state } = await settle(page);
    expect(state.pending === 0, `after reconnecting the tracker still holds ${state.pending} submit(s)`);
    const delivered = obs.sends.slice(failedBefore).find((s) => s.status === 204 && s.body?.submits?.some((x) => x.id === submitId));
    expect(delivered && delivered.kind === 'fetch', 'page 2 did not deliver the stored submit by fetch');
    expect(obs.sends.slice(0, failedBefore).every((s) => s.status === null), 'a send got through while offline');
    return { cartId, submitId, state };
  },

  async 'duplicate-submit'(browser) {
    const cartId = `DUP-${run}`;
    const page = await (await newContext(browser, { pageViews: false })).newPage();
    await page.goto(fixture('tracker-only.html', `?run=${run}`));
    await page.evaluate((idCart) => {
      const E = window.Relance;
      E.AddCart({ idCart, status: 'SelectProducts', TotalPrice: '10.00' });
      E.AddCartItem({ idCart, idProduct: 'D1', productName: 'Mug', priceunit: '10.00', quantity: '1' });
      E.SubmitCart();
    }, cartId);
    await settle(page);
    const first = obs.sends.find((s) => s.status === 204);
    expect(first, 'the first submit was not answered 204');
    const submitId = first.body.submits[0].id;
    // A later change that the replay would undo if the edge applied it a second time.
    await page.evaluate((idCart) => {
      const E = window.Relance;
      E.RemoveCartItem({ idCart, idProduct: 'D1' });
      E.AddCartItem({ idCart, idProduct: 'D2', productName: 'Teapot', priceunit: '20.00', quantity: '1' });
      E.UpdateCart({ idCart, TotalPrice: '20.00' });
      E.SubmitCart();
    }, cartId);
    const { state } = await settle(page);
    const siteKey = await siteKeyOf(page);
    const replayStatus = await page.evaluate(async ({ url, body }) => {
      const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, credentials: 'omit' });
      return r.status;
    }, { url: `${edgeBase}/t/${encodeURIComponent(siteKey)}`, body: JSON.stringify(first.body) });
    expect(replayStatus === 204, `the repeated submit was answered ${replayStatus}, expected 204`);
    expectAllAnswered204(state);
    return { cartId, submitId, replayStatus, state };
  },

  async identify(browser) {
    const token = process.env.RELANCE_CONTACT_TOKEN;
    expect(token, 'RELANCE_CONTACT_TOKEN is not set');
    const cartId = `IDN-${run}`;
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('identify.html', `?run=${run}&rl_ct=${encodeURIComponent(token)}&utm_source=x#frag`));
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const finalUrl = page.url();
    const wantedUrl = fixture('identify.html', `?run=${run}&utm_source=x#frag`);
    expect(finalUrl === wantedUrl, `address bar is ${finalUrl}, expected ${wantedUrl}`);
    const carrying = obs.sends.filter((s) => s.body?.contactToken === token);
    expect(carrying.length > 0, 'no batch carried the contact token');
    expect(!state.contactToken, 'the contact token is still pending after an acknowledged batch');
    const identify = submitsSent().find((s) => s.type === 'identify');
    expect(identify && identify.args.email === 'ada@example.com' && identify.args.firstName === 'Ada',
      `identify submit: ${JSON.stringify(identify)}`);
    return { cartId, email: 'ada@example.com', visitorId: state.visitorId, finalUrl, state };
  },

  async 'foreign-origin'(browser) {
    const foreignBase = trim(process.env.RELANCE_FOREIGN_BASE);
    expect(foreignBase, 'RELANCE_FOREIGN_BASE is not set');
    expect(new URL(foreignBase).origin !== new URL(fixtureBase).origin, 'RELANCE_FOREIGN_BASE must be another origin');
    const cartId = `FOR-${run}`;
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${foreignBase}/foreign.html?run=${run}`);
    const { status: flushStatus, state } = await settle(page);
    // The page-hide beacon is the request the edge sees in full (no preflight): it must be refused too.
    await page.goto(`${foreignBase}/no-tracker.html`);
    await waitFor('the page-hide beacon', () => obs.sends.some((s) => s.kind !== 'fetch' && (s.status !== null || s.failure)), 5_000)
      .catch(() => {});
    const accepted = obs.sends.filter((s) => s.status >= 200 && s.status < 300);
    expect(accepted.length === 0, `the edge accepted a foreign origin: ${JSON.stringify(accepted.map((s) => s.status))}`);
    expect(!(flushStatus >= 200 && flushStatus < 300), `the page saw ${flushStatus}`);
    expect(state.pending >= 0, 'no tracker state');
    return {
      cartId, pageSaw: flushStatus === 0 ? 'network error (CORS refusal)' : `HTTP ${flushStatus}`, flushStatus,
      pendingInPage: state.pending, answers: obs.sends.map((s) => ({ kind: s.kind, status: s.status, failure: s.failure }))
    };
  },

  async demo(browser) {
    const demo = `${edgeBase}/demo/`;
    // Shopper 1 fills a cart worth more than 100 € with an HDMI cable, looks at it and leaves.
    const c1 = await newContext(browser);
    const p1 = await c1.newPage();
    await p1.goto(demo);
    await p1.getByRole('button', { name: /Add HDMI cable/ }).click();
    await p1.getByRole('button', { name: /Add 27-inch monitor/ }).click();
    await p1.getByRole('link', { name: /Cart/ }).first().click();
    await p1.waitForURL(/cart\.html/);
    await p1.getByRole('spinbutton', { name: /Quantity of HDMI cable/ }).fill('2');
    await p1.getByRole('spinbutton', { name: /Quantity of HDMI cable/ }).press('Tab');
    const s1 = await settle(p1);
    const abandoned = await p1.evaluate(() => JSON.parse(localStorage.getItem('relance_demo_cart')));
    const cartShot = await shot(p1, 'abandoned-cart');
    expect(s1.state.pending === 0, `shopper 1 still holds ${s1.state.pending} submit(s)`);
    await c1.close();

    // Shopper 2 buys.
    const c2 = await newContext(browser);
    const p2 = await c2.newPage();
    await p2.goto(demo);
    await p2.getByRole('button', { name: /Add Mechanical keyboard/ }).click();
    await p2.getByRole('button', { name: /Add Wireless mouse/ }).click();
    await p2.getByRole('link', { name: /Cart/ }).first().click();
    await p2.waitForURL(/cart\.html/);
    await p2.getByRole('button', { name: /Remove Wireless mouse/ }).click();
    await p2.getByRole('link', { name: /Checkout/ }).click();
    await p2.waitForURL(/checkout\.html/);
    const email = `buyer-${run}@example.com`;
    await p2.getByLabel('E-mail').fill(email);
    await p2.getByLabel('First name').fill('Grace');
    await p2.getByLabel(/Express/).check();
    const bought = await p2.evaluate(() => JSON.parse(localStorage.getItem('relance_demo_cart')));
    await p2.getByRole('button', { name: /Place order/ }).click();
    await p2.waitForURL(/thankyou\.html/);
    await p2.waitForFunction(() => document.body.dataset.tracked === 'true', null, { timeout: 10_000 });
    const s2 = await settle(p2);
    const transactionId = await p2.evaluate(() => document.body.dataset.transaction);
    const thankShot = await shot(p2, 'thank-you');
    expect(s2.state.pending === 0, `shopper 2 still holds ${s2.state.pending} submit(s)`);
    expect(s2.state.cartId === null, 'the bought cart is still the current cart');
    const fresh = await p2.evaluate(() => localStorage.getItem('relance_demo_cart'));
    expect(fresh === null, 'the demo did not start a fresh cart after the purchase');
    // A send still in flight when the shopper clicks on (the page-hide beacon, or a keepalive fetch)
    // goes on in the browser, but Playwright loses sight of its answer (ERR_ABORTED); what it
    // carried is kept until a later fetch confirms it, and the Java side checks what was stored.
    const bad = obs.sends.filter((s) => s.status !== 204 && s.failure !== 'net::ERR_ABORTED');
    expect(bad.length === 0, `unexpected /t/ answers: ${JSON.stringify(bad.map((s) => s.status ?? s.failure))}`);
    expect(obs.warnings.length === 0, `the demo warned: ${JSON.stringify(obs.warnings)}`);
    await c2.close();
    return {
      abandonedCart: { idCart: abandoned.id, items: abandoned.lines, status: abandoned.status },
      purchasedCart: { idCart: bought.id, items: bought.lines },
      transactionId, email, screenshots: [cartShot, thankShot]
    };
  },

  // ---- page views (seed 004): a shop whose pages carry the script tag and make no call

  async 'url-purchase'(browser) {
    const page = await (await newContext(browser)).newPage();
    for (const name of ['shop/product.html', 'shop/cart.html', 'shop/thank-you.html?order=1']) {
      await page.goto(fixture(name));
      await settle(page);
    }
    const email = process.env.RELANCE_EMAIL;
    if (email) {
      await page.evaluate((e) => window.Relance.Identify({ email: e, firstName: 'Url' }), email);
    }
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const views = viewsSent().map((v) => v.args.url.replace(fixtureBase, ''));
    expect(JSON.stringify(views) === JSON.stringify(['/shop/product.html', '/shop/cart.html', '/shop/thank-you.html?order=1']),
      `page views sent: ${JSON.stringify(views)}`);
    expect(submitsSent().length === (email ? 1 : 0), `the pages made calls: ${JSON.stringify(submitsSent())}`);
    expect(obs.warnings.length === 0, `unexpected warnings: ${JSON.stringify(obs.warnings)}`);
    return { visitorId: state.visitorId, views, state, screenshot: await shot(page, 'thank-you') };
  },

  async 'url-abandon'(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('shop/product.html'));
    await settle(page);
    await page.goto(fixture('shop/cart.html'));
    const { state } = await settle(page);
    expectAllAnswered204(state);
    // The shopper leaves for a page without the tracker and never comes back.
    await page.goto(fixture('no-tracker.html'));
    return { visitorId: state.visitorId, views: viewsSent().length, state };
  },

  async spa(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('app/index.html'));
    await settle(page);
    const step = async (what, n, act) => {
      await act();
      await waitFor(what, () => viewsSent().length >= n);
      await settle(page);
    };
    await step('the products view', 2, () => page.getByRole('link', { name: 'Products' }).click());
    await step('the product view', 3, () => page.getByRole('link', { name: 'HDMI cable' }).click());
    // Not views: a fragment change (which also fires popstate), and replaceState to the same address.
    await page.evaluate(() => { location.hash = '#reviews'; });
    await page.evaluate(() => history.replaceState({ tab: 'reviews' }, '', location.href));
    await step('the cart view', 4, () => page.getByRole('link', { name: 'Cart' }).click());
    // Back: a popstate to the product page, seen again.
    await step('the view after Back', 5, () => page.goBack());
    await page.waitForTimeout(300);
    const { state } = await settle(page);
    expectAllAnswered204(state);
    const views = viewsSent().map((v) => ({ path: new URL(v.args.url).pathname + new URL(v.args.url).hash, title: v.args.title,
      referrer: v.args.referrer.replace(fixtureBase, '') }));
    const wanted = [['/app/index.html', 'Home – App shop'], ['/app/products', 'Products – App shop'],
      ['/app/products/42', 'HDMI cable – App shop'], ['/app/cart', 'Cart – App shop'], ['/app/products/42#reviews', 'HDMI cable – App shop']];
    expect(JSON.stringify(views.map((v) => [v.path, v.title])) === JSON.stringify(wanted), `page views sent: ${JSON.stringify(views)}`);
    expect(views[2].referrer === '/app/products', `an app view's referrer is the previous view: ${JSON.stringify(views[2])}`);
    return { visitorId: state.visitorId, views, state };
  },

  async 'page-opt-out'(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('shop/private-meta.html'));
    const first = await settle(page);
    await page.goto(fixture('shop/private-flag.html'));
    // A navigation inside an opted-out page is no view either.
    await page.evaluate(() => history.pushState({}, '', location.pathname + '?tab=2'));
    await page.waitForTimeout(300);
    const { state } = await settle(page);
    expect(first.state.visitorId === state.visitorId, 'the visitor changed between the pages');
    expect(obs.sends.length === 0 && state.pending === 0, `opted-out pages sent ${JSON.stringify(obs.sends.map((s) => s.body))}`);
    return { visitorId: state.visitorId, state };
  },

  async 'site-off'(browser) {
    const page = await (await newContext(browser)).newPage();
    await page.goto(fixture('shop/product.html'));
    const pageViewsConfig = await page.evaluate(() => window.__relanceConfig.pageViews);
    await settle(page);
    await page.goto(fixture('shop/cart.html'));
    await page.waitForTimeout(300);
    const { state } = await settle(page);
    expect(pageViewsConfig === false, `the edge's configuration says pageViews: ${pageViewsConfig}`);
    expect(obs.sends.length === 0 && state.pending === 0, `a site without page views sent ${JSON.stringify(obs.sends.map((s) => s.body))}`);
    return { visitorId: state.visitorId, state };
  },

  async 'pageview-beacon'(browser) {
    const context = await newContext(browser);
    // Only a beacon can deliver: every fetch of the tracker fails as if the network dropped it.
    await context.addInitScript(() => { window.fetch = () => Promise.reject(new TypeError('Failed to fetch')); });
    const page = await context.newPage();
    await page.goto(fixture('shop/cart.html'));
    await page.waitForFunction(() => (JSON.parse(localStorage.getItem('_rl_q') || '[]')).some((s) => s.type === 'pageview'));
    const { viewId, visitorId } = await page.evaluate(() => ({
      viewId: JSON.parse(localStorage.getItem('_rl_q')).find((s) => s.type === 'pageview').id,
      visitorId: window.Relance._state().visitorId
    }));
    // Leaving: pagehide sends the stored view with navigator.sendBeacon. Playwright does not always
    // see a beacon sent while the page unloads; the Java side checks that the view was stored, and
    // the next page has no tracker, so nothing but that beacon can have delivered it.
    await page.goto(fixture('no-tracker.html'));
    await waitFor('the page-hide beacon', () => obs.sends.some((s) => s.kind !== 'fetch'), 3_000).catch(() => {});
    expect(!obs.sends.some((s) => s.kind === 'fetch' && s.status !== null), 'a fetch got through; the test proves nothing');
    return { visitorId, viewId, beaconSeen: obs.sends.some((s) => s.kind !== 'fetch') };
  }
};

// The site key is the one {{SITE_KEY}} became: read it from the tracker's own configuration.
async function siteKeyOf(page) {
  return page.evaluate(() => window.__relanceConfig.siteKey);
}

async function main() {
  const scenario = scenarios[scenarioName];
  if (!scenario || !fixtureBase || !edgeBase) {
    throw new ScenarioFailure(`usage: node scenario.mjs <${Object.keys(scenarios).join('|')}> <fixtureBaseUrl> <edgeBaseUrl>`);
  }
  const browser = await chromium.launch({
    executablePath: process.env.RELANCE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 15_000
  });
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new ScenarioFailure(`scenario timed out after ${OVERALL_TIMEOUT_MS} ms`)), OVERALL_TIMEOUT_MS);
    });
    const result = await Promise.race([scenario(browser), timeout]);
    expect(obs.pageErrors.length === 0, `page errors: ${JSON.stringify(obs.pageErrors)}`);
    return result;
  } finally {
    clearTimeout(timer);
    await browser.close().catch(() => {});
  }
}

const summary = () => ({
  scenario: scenarioName, run, warnings: obs.warnings, infos: obs.infos, pageErrors: obs.pageErrors,
  statuses: obs.sends.map((s) => s.status ?? s.failure), screenshots: shotDir
});

// A browser that will not close must not keep the Java test waiting.
const hardStop = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: 'scenario driver did not finish', ...summary() }));
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 10_000);
hardStop.unref();

main().then((result) => {
  console.log(JSON.stringify({ ok: true, ...summary(), ...result }));
  process.exit(0);
}, (e) => {
  if (!(e instanceof ScenarioFailure)) console.error(e);
  console.log(JSON.stringify({ ok: false, error: e.message || String(e), ...summary() }));
  process.exit(1);
});

// Drives Debian's Chromium through the console for ConsoleBrowserIT.
//
//   node console.mjs <scenario> <edgeBaseUrl>
//
// RELANCE_CONSOLE_INPUT is a JSON object with the ids the Java test seeded over gRPC;
// RELANCE_SHOTS is the folder for the screenshots kept as test artefacts. The driver does what a
// marketer would (clicks, keyboard, the file it downloads) and reports what the page showed; the
// Java test compares that with the services' own answers. Its last stdout line is one JSON object:
// {"ok":true,...} with exit code 0, or {"ok":false,"error":...} with exit code 1. Any uncaught
// error in the page fails the scenario.
//
// RELANCE_CHROMIUM overrides /usr/bin/chromium. No browser is ever downloaded.

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const OVERALL_TIMEOUT_MS = 60_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ADMIN_TOKEN = 'test-admin-token';

const [scenarioName, edgeArg] = process.argv.slice(2);
const edge = (edgeArg || '').replace(/\/+$/, '');
const input = JSON.parse(process.env.RELANCE_CONSOLE_INPUT || '{}');
const shots = process.env.RELANCE_SHOTS || 'console-screenshots';
mkdirSync(shots, { recursive: true });

class ScenarioFailure extends Error {}
function expect(condition, message) {
  if (!condition) throw new ScenarioFailure(message);
}

const pageErrors = [];
const offSite = [];
const opened = [];

async function open(browser, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  // Nothing may come from anywhere but the edge: the charting library is bundled.
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(edge) && !url.startsWith('blob:') && !url.startsWith('data:')) offSite.push(url);
  });
  const page = await context.newPage();
  opened.push(page);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[14]/.test(m.text())) pageErrors.push(m.text()); });
  return page;
}

async function signIn(page, hash = '') {
  await page.goto(`${edge}/console/${hash}`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#nav').waitFor({ state: 'visible' });
}

async function shot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the live count answered the current question; answers the number shown. */
async function settledCount(page) {
  const count = page.locator('#segment-count');
  await page.waitForFunction(() => {
    const c = document.querySelector('#segment-count');
    const l = document.querySelector('#segment-contacts');
    return c && c.dataset.state === 'ready' && l && l.dataset.state === 'ready';
  });
  return { count: Number(await count.getAttribute('data-count')), text: await count.textContent() };
}

async function listedContacts(page) {
  return page.locator('#segment-contacts tbody tr td:first-child a').allTextContents();
}

const scenarios = {
  /** A wrong token is refused, the right one signs in; /console redirects to /console/. */
  async 'sign-in'(browser) {
    const page = await open(browser);
    const response = await page.goto(`${edge}/console`);
    expect(page.url() === `${edge}/console/`, `ended on ${page.url()}`);
    const headers = response.headers();
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.keyboard.press('Enter');
    const refusal = await page.getByRole('alert').textContent();
    await shot(page, 'sign-in');
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#nav').waitFor({ state: 'visible' });
    const heading = await page.locator('h1').textContent();
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    const stored = await page.evaluate(() => Object.keys(sessionStorage).length);
    return { refusal, heading, focused, stored, contentType: headers['content-type'], cacheControl: headers['cache-control'] };
  },

  /** Builds a segment by clicking and typing; reports each count shown, the list and the CSV. */
  async segment(browser) {
    const page = await open(browser);
    await signIn(page, '#/segments');
    await page.locator('#segment-scope').selectOption(input.storeId);
    const rootAdd = page.locator('.tree > fieldset > .group-actions > [data-role="add-condition"]');
    const rows = page.locator('.node.condition');
    const everyone = await settledCount(page);

    await rootAdd.click();
    // The new condition's kind has focus, so a keyboard user carries on from there.
    expect(await page.evaluate(() => document.activeElement.dataset.role) === 'type', 'focus did not move to the new condition');
    await rows.nth(0).locator('[data-role="type"]').selectOption('hasAbandonedCart');
    await rootAdd.click();
    await rows.nth(1).locator('[data-role="type"]').selectOption('lastAbandonedCartValue');
    await rows.nth(1).locator('[data-role="operator"]').selectOption('NUMBER_OPERATOR_GREATER');
    await rows.nth(1).locator('[data-role="value"]').pressSequentially('100');
    const first = await settledCount(page);
    const firstListed = await listedContacts(page);

    // NOT by keyboard: focus the checkbox, press Space.
    await rows.nth(1).locator('[data-role="not"]').focus();
    await page.keyboard.press('Space');
    const second = await settledCount(page);

    await page.locator('.tree > fieldset > .group-actions > [data-role="add-group"]').click();
    const group = page.locator('.tree > fieldset > ol > li > fieldset.group');
    await group.locator('[data-role="combine"]').selectOption('or');
    const inner = group.locator('.node.condition');
    await inner.nth(0).locator('[data-role="type"]').selectOption('lastAbandonedCartProductName');
    await inner.nth(0).locator('[data-role="operator"]').selectOption('TEXT_OPERATOR_CONTAINS');
    await inner.nth(0).locator('[data-role="value"]').fill('KEYBOARD');
    await group.locator('[data-role="add-condition"]').click();
    await inner.nth(1).locator('[data-role="type"]').selectOption('hasRecoveredCart');
    const third = await settledCount(page);
    const thirdListed = await listedContacts(page);
    const json = await page.locator('#segment-json').textContent();
    await shot(page, 'segments');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    const exportStatus = await page.locator('#export-status').textContent();
    return { everyone: everyone.count, counts: [first.count, second.count, third.count], countText: third.text,
      firstListed, thirdListed, csv, exportStatus, request: JSON.parse(json), file: download.suggestedFilename() };
  },

  /** A contact's page: identity, orders with status and mark, the status filter, products. */
  async contact(browser) {
    const page = await open(browser);
    await signIn(page, `#/contacts/${encodeURIComponent(input.contactId)}`);
    const email = await page.locator('#contact-email').textContent();
    const consent = await page.locator('#contact-consent').textContent();
    await page.locator('#contact-orders tr.order').first().waitFor();
    const readOrders = () => page.locator('#contact-orders tr.order').evaluateAll((trs) => trs.map((tr) => ({
      status: tr.dataset.status, cart: tr.dataset.cart, transaction: tr.dataset.transaction,
      badge: tr.querySelector('.badge').textContent, mark: tr.querySelector('.mark-abandoned')?.getAttribute('title') || ''
    })));
    const orders = await readOrders();
    const toggle = page.locator('#contact-orders tr.order').first().getByRole('button');
    await toggle.click();
    const expanded = await toggle.getAttribute('aria-expanded');
    const items = await page.locator('#contact-orders tr.items-row:not([hidden])').first().textContent();
    await page.locator('#contact-notifications').locator('p, table').first().waitFor();
    const notifications = await page.locator('#contact-notifications').textContent();
    await shot(page, 'contact');
    await page.getByLabel('Status').selectOption('ORDER_STATUS_RECOVERED');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#contact-orders tr.order')];
      return document.querySelector('#contact-orders')?.getAttribute('aria-busy') !== 'true'
        && rows.length > 0 && rows.every((r) => r.dataset.status === 'ORDER_STATUS_RECOVERED');
    });
    const filtered = await readOrders();
    const url = page.url();
    return { email, consent, orders, expanded, items, notifications, filtered, url };
  },

  /** The store dashboard: totals, three charts, top products; no sideways scrolling on a phone. */
  async dashboard(browser) {
    const page = await open(browser);
    await signIn(page, `#/dashboard?store=${encodeURIComponent(input.storeId)}&days=7`);
    await page.locator('#dashboard-totals').waitFor();
    const tiles = await page.locator('#dashboard-totals [data-tile]').evaluateAll((lis) => Object.fromEntries(
      lis.map((li) => [li.dataset.tile, li.querySelector('.tile-value').textContent])));
    const canvases = await page.locator('.chart canvas').count();
    const captions = await page.locator('figcaption').allTextContents();
    const products = await page.locator('#top-products tbody th').allTextContents();
    await shot(page, 'dashboard');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot(page, 'dashboard-phone');
    return { tiles, canvases, captions, products, overflow };
  },

  /** A site's URL journey: tests the cart page pattern on addresses, then saves both patterns and turns page views off. */
  async sites(browser) {
    const page = await open(browser);
    await signIn(page, `#/sites?store=${encodeURIComponent(input.storeId)}`);
    await page.getByLabel('Cart page pattern').waitFor();
    await page.getByLabel('Cart page pattern').fill('/shop/cart*');
    await page.getByLabel('Addresses, one per line').fill('https://Shop.example/shop/cart?step=2#top\nhttps://shop.example/p/1');
    await page.getByRole('button', { name: 'Test the cart page pattern' }).click();
    await page.locator('#test-table tbody tr').first().waitFor();
    const matches = await page.locator('#test-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.matches === 'true'));
    const compared = await page.locator('#test-table tbody td:first-of-type').allTextContents();
    // Saving one pattern alone is refused in the page, before any call.
    await page.getByRole('button', { name: 'Save' }).click();
    const refusal = await page.locator('#site-status').textContent();
    await page.getByLabel('Thank-you page pattern').fill('/shop/thank-you*');
    await page.getByLabel('Do not record page views on this site').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#site-status', { hasText: 'Saved.' }).waitFor();
    await shot(page, 'sites');
    return { matches, compared, refusal };
  },

  /** The segment builder's visited-URL condition (seed 004). */
  async 'visited-url'(browser) {
    const page = await open(browser);
    await signIn(page, '#/segments');
    await page.locator('#segment-scope').selectOption(input.storeId);
    await settledCount(page);
    await page.locator('.tree > fieldset > .group-actions > [data-role="add-condition"]').click();
    const row = page.locator('.node.condition').nth(0);
    await row.locator('[data-role="type"]').selectOption('visitedUrl');
    await row.locator('[data-role="value"]').pressSequentially('/shop/cart*');
    const visited = await settledCount(page);
    const listed = await listedContacts(page);
    await row.locator('[data-role="count"]').pressSequentially('2');
    const twice = await settledCount(page);
    await shot(page, 'visited-url');
    return { visited: visited.count, listed, twice: twice.count };
  },

  /** A site's rejected events with their reasons. */
  async rejections(browser) {
    const page = await open(browser);
    await signIn(page, `#/rejections?store=${encodeURIComponent(input.storeId)}`);
    await page.locator('#rejections tbody tr').first().waitFor();
    const site = await page.locator('#rejection-site').inputValue();
    const reasons = await page.locator('#rejections tbody th').allTextContents();
    const counts = await page.locator('#rejection-counts').textContent();
    await shot(page, 'rejections');
    return { site, reasons, counts };
  },

  /** Creates a trigger with the form (after a dry run), pauses it, explains a cart, edits it. */
  async trigger(browser) {
    const page = await open(browser);
    await signIn(page, '#/triggers/new');
    const form = page.locator('form.trigger-form');
    await form.waitFor();
    await form.locator('[data-field="display_name"]').fill('Big carts');
    await form.locator('[data-field="store_id"]').selectOption(input.storeId);
    await form.locator('[data-field="min_cart_value"]').fill('100');
    await form.locator('[data-field="webhook.url"]').fill('http://localhost:9/hook');
    await form.locator('[data-field="webhook.secret"]').fill('console-test-secret-0123456789');
    await page.getByRole('button', { name: 'Dry run (not saved)' }).click();
    await page.locator('#trigger-dry-run table').waitFor();
    const dryRunText = await page.locator('#trigger-dry-run p[role="status"]').textContent();
    const dryRunCarts = await page.locator('#trigger-dry-run tbody th').allTextContents();
    await shot(page, 'trigger-new');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    // The form's own address is #/triggers/new: wait for the saved trigger's page.
    await page.waitForURL(/#\/triggers\/(?!new$)[a-z0-9-]+$/);
    const triggerId = decodeURIComponent(page.url().split('#/triggers/')[1]);
    await page.locator('#trigger-toggle').waitFor();
    await page.locator('#trigger-toggle').click();
    await page.locator('#trigger-toggle', { hasText: 'Resume' }).waitFor();
    const stateShown = await page.locator('#summary-title ~ dl .badge').textContent();
    await page.getByRole('button', { name: 'Dry run', exact: true }).click();
    await page.getByRole('button', { name: 'Explain a-1' }).click();
    await page.locator('#explain-result li.check').first().waitFor();
    const verdict = await page.locator('#explain-result .notice').textContent();
    const checks = await page.locator('#explain-result li.check').allTextContents();
    await page.locator('#trigger-log').locator('p, table').first().waitFor();
    const log = await page.locator('#trigger-log').textContent();
    await shot(page, 'trigger');
    await page.goto(`${edge}/console/#/triggers/edit/${encodeURIComponent(triggerId)}`);
    const name = page.locator('[data-field="display_name"]');
    await name.waitFor();
    const minShown = await page.locator('[data-field="min_cart_value"]').inputValue();
    await name.fill('Big carts, edited');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('h1', { hasText: 'Big carts, edited' }).waitFor();
    await page.goto(`${edge}/console/#/triggers`);
    await page.locator('#trigger-list table').waitFor();
    const row = await page.locator(`#trigger-list tr[data-trigger="${triggerId}"]`).textContent();
    await shot(page, 'triggers');
    return { triggerId, dryRunText, dryRunCarts, stateShown, verdict, checks, log, minShown, row };
  },

  /** Erasing asks first: cancelling changes nothing and gives focus back; confirming erases. */
  async erase(browser) {
    const page = await open(browser);
    await signIn(page, `#/contacts/${encodeURIComponent(input.contactId)}`);
    await page.locator('#contact-email').waitFor();
    await page.getByRole('button', { name: 'Erase contact…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const question = await dialog.locator('h2').textContent();
    await shot(page, 'erase-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const focusAfterCancel = await page.evaluate(() => document.activeElement.id);
    await page.getByRole('button', { name: 'Erase contact…' }).click();
    await page.getByRole('button', { name: 'Erase everywhere' }).click();
    const result = await page.locator('#erase-result .notice.success').textContent();
    await page.locator('#identity-title ~ .notice').waitFor();
    const identity = await page.locator('#identity-title ~ .notice').textContent();
    await shot(page, 'contact-erased');
    return { question, focusAfterCancel, result, identity };
  }
};

async function main() {
  const scenario = scenarios[scenarioName];
  if (!scenario) throw new ScenarioFailure(`unknown scenario ${scenarioName}`);
  const browser = await chromium.launch({ executablePath: process.env.RELANCE_CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const result = await scenario(browser);
    expect(pageErrors.length === 0, `errors in the page: ${pageErrors.join(' | ')}`);
    expect(offSite.length === 0, `requests outside the edge: ${offSite.join(' ')}`);
    return result;
  } catch (e) {
    // What the page showed when it went wrong: a screenshot next to the others, and its text.
    const page = opened[opened.length - 1];
    if (page) {
      await shot(page, `${scenarioName}-failure`).catch(() => {});
      const text = await page.locator('main').innerText().catch(() => '');
      e.message = `${e.message}\npage showed: ${text.slice(0, 1500)}`;
    }
    throw e;
  } finally {
    await browser.close();
  }
}

const timer = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: `timed out after ${OVERALL_TIMEOUT_MS} ms` }));
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

main().then((result) => {
  clearTimeout(timer);
  console.log(JSON.stringify({ ok: true, ...result }));
  process.exit(0);
}, (e) => {
  clearTimeout(timer);
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e), pageErrors }));
  process.exit(1);
});

// The console's shell: admin-token sign-in, the navigation, and a hash router (the edge serves one
// page, so every view is addressable and the back button works without server routes).
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { call, forgetToken, saveToken, setUnauthorizedHandler, token } from './api.js';
import { clear, h, notice, fill } from './dom.js';
import { contactPage } from './pages/contact.js';
import { dashboardPage } from './pages/dashboard.js';
import { rejectionsPage } from './pages/rejections.js';
import { segmentsPage } from './pages/segments.js';
import { sitesPage } from './pages/sites.js';
import { triggerDetailPage, triggerFormPage, triggersPage } from './pages/triggers.js';

const SECTIONS = [
  ['segments', 'Segments'],
  ['dashboard', 'Dashboard'],
  ['triggers', 'Triggers'],
  ['sites', 'Sites'],
  ['rejections', 'Rejected events']
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let cleanup = null;
let signInMessage = '';

/** The current route: the hash's path segments and its query. */
function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { segments, params: new URLSearchParams(query || '') };
}

function drawNav(current) {
  clear(nav);
  nav.hidden = false;
  nav.append(h('ul', {}, SECTIONS.map(([id, text]) => h('li', {},
    h('a', { href: `#/${id}`, 'aria-current': id === current ? 'page' : false }, text))),
  h('li', {}, h('button', {
    type: 'button', class: 'link', onclick: () => {
      forgetToken();
      signInMessage = 'Signed out.';
      render();
    }
  }, 'Sign out'))));
}

function signIn() {
  nav.hidden = true;
  clear(main);
  const input = h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { id: 'sign-in-status' }, signInMessage ? notice('info', signInMessage) : null);
  const form = h('form', {
    class: 'card sign-in', onsubmit: async (e) => {
      e.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      const button = form.querySelector('button');
      button.disabled = true;
      try {
        // Any method behind the token proves it; the stores are needed next anyway.
        await call('StoreService/ListStores', { pageSize: 1 }, value);
        saveToken(value);
        signInMessage = '';
        render();
      } catch (err) {
        fill(status, notice('error', err.httpStatus === 401
          ? 'That token was refused. Use the edge\'s admin token (RELANCE_EDGE_ADMIN_TOKEN).'
          : `Could not sign in: ${err.message}`));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      } finally {
        button.disabled = false;
      }
    }
  },
  h('h1', { tabindex: '-1' }, 'Sign in'),
  h('p', {}, 'The console reads through the edge\'s read API. Enter the admin token; it is kept for this tab only.'),
  h('div', { class: 'field' }, h('label', { for: 'admin-token' }, 'Admin token'), input),
  h('button', { type: 'submit' }, 'Sign in'),
  status);
  main.append(form);
  input.focus();
}

async function render() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  if (!token()) {
    signIn();
    return;
  }
  const { segments, params } = route();
  const section = segments[0] || 'segments';
  drawNav(section === 'contacts' ? 'segments' : section);
  clear(main);
  let page;
  if (section === 'contacts' && segments[1]) page = contactPage(main, segments[1], params);
  else if (section === 'dashboard') page = dashboardPage(main, params);
  else if (section === 'triggers' && segments[1] === 'new') page = triggerFormPage(main, null, params);
  else if (section === 'triggers' && segments[1] === 'edit' && segments[2]) page = triggerFormPage(main, segments[2], params);
  else if (section === 'triggers' && segments[1]) page = triggerDetailPage(main, segments[1], params);
  else if (section === 'triggers') page = triggersPage(main, params);
  else if (section === 'rejections') page = rejectionsPage(main, params);
  else if (section === 'sites') page = sitesPage(main, params);
  else page = segmentsPage(main, params);
  cleanup = typeof page === 'function' ? page : null;
  // Moving focus to the new heading tells screen readers the view changed, as a page load would.
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
    document.title = `${heading.textContent} — Relance console`;
  }
}

setUnauthorizedHandler(() => {
  forgetToken();
  signInMessage = 'The admin token was refused; sign in again.';
  render();
});

// The skip link must not touch the hash, which is the router's.
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  (main.querySelector('h1') || main).focus();
});

window.addEventListener('hashchange', render);
render();

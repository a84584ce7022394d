// The edge's JSON read API (POST /api/v1/{Service}/{Method}, proto3 JSON) behind the admin token.
// The token lives in sessionStorage only: it is gone when the tab closes, and never sits in a
// cookie that other pages of the edge's origin would send along.

const TOKEN_KEY = 'relance.console.adminToken';

/** An answer of the API that is not 2xx, with the detail the edge gives (reason, field violations). */
export class ApiError extends Error {
  constructor(httpStatus, error) {
    super(error.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.status = error.status || '';
    this.reason = error.reason || '';
    this.field = error.field || '';
    this.violations = error.violations || [];
  }

  /** True when the service behind the edge does not offer the method (yet). */
  get unavailableMethod() {
    return this.status === 'UNIMPLEMENTED' || this.reason === 'UNKNOWN_METHOD';
  }
}

let onUnauthorized = () => {};

export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function saveToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function send(path, init, explicitToken) {
  const headers = { Authorization: `Bearer ${explicitToken ?? token()}`, ...(init.headers || {}) };
  let response;
  try {
    response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { status: 'UNAVAILABLE', reason: 'NETWORK', message: 'The edge could not be reached.' });
  }
  const text = await response.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { error: { message: text.slice(0, 200) } };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, body.error || {});
    if (response.status === 401 && explicitToken === undefined) onUnauthorized(error);
    throw error;
  }
  return body;
}

/** Calls {@code Service/Method} with a request message; answers the response message. */
export function call(method, request = {}, explicitToken) {
  return send(`/api/v1/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(request)
  }, explicitToken);
}

/** GET of one of the API's plain JSON resources (the rejections). */
export function get(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null)).toString();
  return send(`/api/v1/${path}${query ? `?${query}` : ''}`, { method: 'GET' });
}

/** A fresh id for a mutating call; getRandomValues works on plain-http deployments too. */
export function requestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'console-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Every page of a list method, concatenated (field is the repeated field's JSON name). */
export async function all(method, request, field, pageSize = 1000, onPage = () => {}) {
  const items = [];
  let pageToken = '';
  do {
    const page = await call(method, { ...request, pageSize, pageToken });
    items.push(...(page[field] || []));
    onPage(items.length);
    pageToken = page.nextPageToken || '';
  } while (pageToken);
  return items;
}

let storesPromise = null;

/** The stores, read once per page load (they rarely change; a reload refreshes them). */
export function stores() {
  if (!storesPromise) {
    storesPromise = all('StoreService/ListStores', {}, 'stores', 1000).catch((e) => {
      storesPromise = null;
      throw e;
    });
  }
  return storesPromise;
}

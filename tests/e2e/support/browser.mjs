// A minimal scripted browser for the sign-in and consent pages: a cookie jar
// that keeps the rules a real browser applies to our server's cookies (Path,
// Secure, HttpOnly, Max-Age/Expires, host-only Domain, the __Host- and
// __Secure- prefixes), redirects followed by hand so a test sees each hop,
// and HTML forms read from the page (action, method, hidden inputs, submit
// buttons) and submitted as a browser would, Origin header included.
// No JavaScript runs, which is fine: the server's pages have none.
import assert from 'node:assert/strict';
import { WAIT_MS } from './mcp.mjs';

const MAX_REDIRECTS = 20;

// ---------------------------------------------------------------------------
// HTML: just enough to read the server's forms.

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the character references HTML attribute values and text use. */
export function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The attributes of one start tag's source, e.g. `input type="hidden" name=x`. */
export function parseAttributes(tagSource) {
  const attrs = {};
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  // Skip the tag name itself.
  const rest = tagSource.replace(/^\s*[^\s/>]+/, '');
  let m;
  while ((m = re.exec(rest)) !== null) {
    const name = m[1].toLowerCase();
    if (name in attrs) continue; // the first occurrence wins, as in HTML
    const value = m[2] ?? m[3] ?? m[4];
    attrs[name] = value === undefined ? '' : decodeEntities(value);
  }
  return attrs;
}

/**
 * The forms of a page, in document order. Each has action (absolute, resolved
 * against `pageUrl`), method (upper case), fields (successful controls as
 * [name, value] pairs: hidden, text, password, e-mail, checked checkboxes and
 * radios, textareas, selects' selected options), inputs (every named control,
 * with its type) and buttons ({name, value, label} of each submit control).
 */
export function extractForms(html, pageUrl) {
  const forms = [];
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi;
  let f;
  while ((f = formRe.exec(html)) !== null) {
    const attrs = parseAttributes(`form ${f[1]}`);
    const body = f[2];
    const form = {
      action: new URL(attrs.action && attrs.action !== '' ? attrs.action : pageUrl, pageUrl).href,
      method: (attrs.method ?? 'get').toUpperCase(),
      enctype: attrs.enctype ?? 'application/x-www-form-urlencoded',
      fields: [],
      inputs: [],
      buttons: [],
    };
    const controlRe = /<(input|button|textarea|select)\b([^>]*)>(?:([\s\S]*?)<\/\1\s*>)?/gi;
    let c;
    while ((c = controlRe.exec(body)) !== null) {
      const tag = c[1].toLowerCase();
      const a = parseAttributes(`${tag} ${c[2]}`);
      if ('disabled' in a) continue;
      const inner = c[3] ?? '';
      if (tag === 'button') {
        const type = (a.type ?? 'submit').toLowerCase();
        if (type === 'submit') {
          form.buttons.push({ name: a.name, value: a.value ?? '', label: decodeEntities(inner.replace(/<[^>]*>/g, '').trim()) });
        }
        continue;
      }
      if (tag === 'textarea') {
        if (a.name) {
          form.inputs.push({ name: a.name, type: 'textarea', value: decodeEntities(inner) });
          form.fields.push([a.name, decodeEntities(inner)]);
        }
        continue;
      }
      if (tag === 'select') {
        if (!a.name) continue;
        const options = [...inner.matchAll(/<option\b([^>]*)>([^<]*)/gi)].map((o) => {
          const oa = parseAttributes(`option ${o[1]}`);
          return { value: oa.value ?? decodeEntities(o[2].trim()), selected: 'selected' in oa };
        });
        const chosen = options.find((o) => o.selected) ?? options[0];
        form.inputs.push({ name: a.name, type: 'select', value: chosen?.value ?? '' });
        if (chosen) form.fields.push([a.name, chosen.value]);
        continue;
      }
      // <input> is a void element: whatever the regex took as inner text is not its content.
      if (c[3] !== undefined) controlRe.lastIndex = c.index + c[0].indexOf('>') + 1;
      const type = (a.type ?? 'text').toLowerCase();
      if (type === 'submit' || type === 'image') {
        form.buttons.push({ name: a.name, value: a.value ?? '', label: a.value ?? '' });
        continue;
      }
      if (!a.name || type === 'reset' || type === 'button' || type === 'file') continue;
      form.inputs.push({ name: a.name, type, value: a.value ?? (type === 'checkbox' || type === 'radio' ? 'on' : '') });
      if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      form.fields.push([a.name, a.value ?? (type === 'checkbox' || type === 'radio' ? 'on' : '')]);
    }
    forms.push(form);
  }
  return forms;
}

// ---------------------------------------------------------------------------
// Cookies (RFC 6265bis, the parts our server relies on).

function defaultPath(url) {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function isIpAddress(host) {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[');
}

function domainMatches(host, domain) {
  if (host === domain) return true;
  return !isIpAddress(host) && host.endsWith(`.${domain}`);
}

/** A browser's cookie store for http(s) URLs. */
export class CookieJar {
  constructor() {
    this.cookies = [];
    /** Why each refused Set-Cookie was refused, for assertions. */
    this.rejected = [];
  }

  /** Stores one Set-Cookie header value received from `url` (a URL). */
  setCookie(header, url, now = Date.now()) {
    const parts = header.split(';');
    const pair = parts.shift();
    const eq = pair.indexOf('=');
    if (eq < 0) return this.#reject(header, 'no name=value pair');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (name === '') return this.#reject(header, 'empty name');
    const cookie = {
      name, value, host: url.hostname, hostOnly: true, path: defaultPath(url),
      secure: false, httpOnly: false, sameSite: 'lax', expires: Infinity,
    };
    let maxAgeSeen = false;
    for (const raw of parts) {
      const i = raw.indexOf('=');
      const attr = (i < 0 ? raw : raw.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? '' : raw.slice(i + 1).trim();
      if (attr === 'path') cookie.path = val.startsWith('/') ? val : defaultPath(url);
      else if (attr === 'secure') cookie.secure = true;
      else if (attr === 'httponly') cookie.httpOnly = true;
      else if (attr === 'samesite') cookie.sameSite = val.toLowerCase() || 'lax';
      else if (attr === 'max-age') {
        if (/^-?\d+$/.test(val)) {
          maxAgeSeen = true;
          cookie.expires = Number(val) <= 0 ? -Infinity : now + Number(val) * 1000;
        }
      } else if (attr === 'expires' && !maxAgeSeen) {
        const t = Date.parse(val);
        if (Number.isFinite(t)) cookie.expires = t;
      } else if (attr === 'domain' && val !== '') {
        const domain = val.replace(/^\./, '').toLowerCase();
        if (!domainMatches(url.hostname, domain)) return this.#reject(header, `Domain=${domain} does not cover ${url.hostname}`);
        cookie.host = domain;
        cookie.hostOnly = false;
      }
    }
    const secureOrigin = url.protocol === 'https:';
    if (cookie.secure && !secureOrigin) return this.#reject(header, 'Secure cookie set over http');
    if (name.startsWith('__Secure-') && !cookie.secure) return this.#reject(header, '__Secure- cookie without Secure');
    if (name.startsWith('__Host-') && (!cookie.secure || !cookie.hostOnly || cookie.path !== '/')) {
      return this.#reject(header, '__Host- cookie needs Secure, Path=/ and no Domain');
    }
    if (cookie.sameSite === 'none' && !cookie.secure) return this.#reject(header, 'SameSite=None without Secure');
    // An insecure origin may not overwrite a Secure cookie.
    const existing = this.cookies.findIndex((c) => c.name === name && c.host === cookie.host && c.path === cookie.path);
    if (existing >= 0 && this.cookies[existing].secure && !secureOrigin) {
      return this.#reject(header, 'an http response may not replace a Secure cookie');
    }
    if (existing >= 0) this.cookies.splice(existing, 1);
    if (cookie.expires > now) this.cookies.push(cookie);
    return true;
  }

  #reject(header, reason) {
    this.rejected.push({ header, reason });
    return false;
  }

  /** Every cookie that goes with a request to `url`, as {name, value, ...}. */
  matching(url, now = Date.now()) {
    this.cookies = this.cookies.filter((c) => c.expires > now);
    return this.cookies
      .filter((c) => (c.hostOnly ? c.host === url.hostname : domainMatches(url.hostname, c.host)))
      .filter((c) => pathMatches(url.pathname, c.path))
      .filter((c) => !c.secure || url.protocol === 'https:')
      // Longer paths first, as browsers send them.
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The Cookie header for a request to `url`, or undefined. */
  header(url) {
    const list = this.matching(url);
    return list.length === 0 ? undefined : list.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  get(name) {
    return this.cookies.find((c) => c.name === name);
  }
}

// ---------------------------------------------------------------------------
// The browser.

/**
 * One page load or form post. `response` has status, url (as requested),
 * location (absolute, when redirected), headers, text.
 */
export class Browser {
  constructor({ userAgent = 'portcullis-e2e-browser/1.0', timeoutMs = WAIT_MS } = {}) {
    this.jar = new CookieJar();
    this.userAgent = userAgent;
    this.timeoutMs = timeoutMs;
    /** Every request made, in order: {method, url, status, location}. */
    this.history = [];
  }

  /** One request, no redirect followed. */
  async request(url, { method = 'GET', body, headers = {}, origin } = {}) {
    const target = new URL(url);
    assert.ok(target.protocol === 'http:' || target.protocol === 'https:', `the browser only loads http(s) URLs, not ${target.href}`);
    const h = new Headers({ 'User-Agent': this.userAgent, Accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8', ...headers });
    const cookie = this.jar.header(target);
    if (cookie) h.set('Cookie', cookie);
    if (origin) h.set('Origin', origin);
    const res = await fetch(target, {
      method, body, headers: h, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs),
    });
    for (const sc of res.headers.getSetCookie()) this.jar.setCookie(sc, target);
    const text = await res.text();
    const raw = res.headers.get('location');
    const page = {
      status: res.status,
      url: target.href,
      headers: res.headers,
      text,
      location: raw !== null && res.status >= 300 && res.status < 400 ? new URL(raw, target).href : undefined,
    };
    this.history.push({ method, url: target.href, status: page.status, location: page.location });
    return page;
  }

  /**
   * Loads `url` and follows redirects. `stopAt(url)` decides, before each
   * hop, whether the browser leaves that URL alone (as when the redirect goes
   * to an application's callback the test wants to read itself); then the
   * result has `stoppedAt` and the page that redirected there. 303 and, for
   * POST, 301/302 turn into GET, as in browsers.
   */
  async navigate(url, { method = 'GET', body, headers, origin, stopAt } = {}) {
    let page = await this.request(url, { method, body, headers, origin });
    for (let hops = 0; page.location; hops++) {
      assert.ok(hops < MAX_REDIRECTS, `more than ${MAX_REDIRECTS} redirects from ${url}`);
      if (stopAt?.(page.location)) return { ...page, stoppedAt: page.location };
      if (page.status !== 307 && page.status !== 308) {
        method = 'GET';
        body = undefined;
        headers = undefined;
      }
      // Origin goes with a redirected POST, not with a GET.
      page = await this.request(page.location, { method, body, headers, origin: method === 'GET' ? undefined : origin });
    }
    return page;
  }

  /** The forms on `page` (see extractForms). */
  forms(page) {
    return extractForms(page.text, page.url);
  }

  /**
   * Submits a form of `page`: the form chosen by `match(form)` (default: the
   * only one), fields overridden by `fill` ({name: value}), the submit button
   * chosen by `button` ({name, value}, default: the form's first), as a
   * browser would (Origin of the page, form-urlencoded body), following
   * redirects with `stopAt` as in navigate().
   */
  async submit(page, { match, fill = {}, button, stopAt } = {}) {
    const forms = this.forms(page);
    const candidates = match ? forms.filter(match) : forms;
    assert.equal(candidates.length, 1, `exactly one matching form on ${page.url}, found ${candidates.length}:\n${page.text}`);
    const form = candidates[0];
    const pairs = form.fields.filter(([name]) => !(name in fill));
    for (const [name, value] of Object.entries(fill)) {
      assert.ok(form.inputs.some((i) => i.name === name), `the form at ${page.url} has an input named ${name}`);
      pairs.push([name, String(value)]);
    }
    let chosen = form.buttons[0];
    if (button) {
      chosen = form.buttons.find((b) => b.name === button.name && (button.value === undefined || b.value === button.value));
      assert.ok(chosen, `the form at ${page.url} has a submit button ${JSON.stringify(button)}: ${JSON.stringify(form.buttons)}`);
    }
    if (chosen?.name) pairs.push([chosen.name, chosen.value]);
    const encoded = new URLSearchParams(pairs).toString();
    const origin = new URL(page.url).origin;
    if (form.method === 'POST') {
      return this.navigate(form.action, {
        method: 'POST',
        body: encoded,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        origin,
        stopAt,
      });
    }
    const target = new URL(form.action);
    target.search = encoded;
    return this.navigate(target.href, { stopAt });
  }
}

/** True when `url` is `redirectUri` itself or it with a query added. */
export function isRedirectTo(redirectUri) {
  return (url) => url === redirectUri || url.startsWith(`${redirectUri}?`);
}

/**
 * Signs in and answers the consent page, starting from an authorization URL,
 * as a person in a browser would. Stops at the redirect to `redirectUri`
 * (returns it without loading it) unless `deliver` is set, when the browser
 * loads the callback too (an application's own callback server receives it).
 * @returns {Promise<{callback: URL, pages: object[], final: object}>}
 */
export async function signInAndConsent(browser, authorizationUrl, {
  username, password, redirectUri, decision = 'approve', remember = false, deliver = false,
} = {}) {
  assert.ok(redirectUri, 'signInAndConsent needs the redirect URI the flow returns to');
  const pages = [];
  const stopOrDeliver = isRedirectTo(redirectUri);
  let page = await browser.navigate(String(authorizationUrl), { stopAt: stopOrDeliver });
  pages.push(page);
  const isLogin = (p) => browser.forms(p).some((f) => f.inputs.some((i) => i.name === 'password'));
  const isConsent = (p) => browser.forms(p).some((f) => f.buttons.some((b) => b.name === 'decision'));
  if (!page.stoppedAt && isLogin(page)) {
    assert.equal(page.status, 200, `the sign-in page loads: ${page.status}\n${page.text}`);
    page = await browser.submit(page, {
      match: (f) => f.inputs.some((i) => i.name === 'password'),
      fill: { username, password },
      stopAt: stopOrDeliver,
    });
    pages.push(page);
  }
  if (!page.stoppedAt && isConsent(page)) {
    assert.equal(page.status, 200, `the consent page loads: ${page.status}\n${page.text}`);
    page = await browser.submit(page, {
      match: (f) => f.buttons.some((b) => b.name === 'decision'),
      fill: remember ? { remember: 'on' } : {},
      button: { name: 'decision', value: decision },
      stopAt: stopOrDeliver,
    });
    pages.push(page);
  }
  assert.ok(page.stoppedAt, `the browser was sent back to ${redirectUri}; it ended on ${page.url} (${page.status}):\n${page.text.slice(0, 2000)}`);
  const callback = new URL(page.stoppedAt);
  let final = page;
  if (deliver) {
    final = await browser.navigate(callback.href);
    pages.push(final);
  }
  return { callback, pages, final };
}

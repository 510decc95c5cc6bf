// The Machine-to-machine page: calls POST /m2m/call with X-CSRF: 1 (the header a
// cross-site page cannot send) and updates the result and the cache state in
// place; without script the form posts and the server re-renders the page.
// Timings tick locally. The server never sends the token, so there is none here.
// Messages come from the page's language (messages.js).
const { t } = window.pageMessages;
const forms = document.querySelectorAll('form.m2m-call-form');
const statusEl = document.getElementById('m2m-status');
const latencyEl = document.getElementById('m2m-latency');
const retriedEl = document.getElementById('m2m-retried');
const errorEl = document.getElementById('m2m-error');
const output = document.getElementById('m2m-output');
const entriesEl = document.getElementById('m2m-entries');
const STATUSES = new Set(['fresh', 'renewal_due', 'expired']);

function seconds(ms) {
  return t('scripts:common.seconds', { seconds: Math.max(0, Math.round(ms / 1000)) });
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-until]')) el.textContent = seconds(Number(el.dataset.until) - now);
  for (const el of document.querySelectorAll('[data-age-from]'))
    el.textContent = seconds(now - Number(el.dataset.ageFrom));
}

function cell(text, attributes = {}) {
  const td = document.createElement('td');
  td.textContent = text;
  for (const [name, value] of Object.entries(attributes)) td.setAttribute(name, value);
  return td;
}

function renderCache(cache) {
  if (!cache) return;
  const endpoint = document.getElementById('m2m-token-endpoint');
  if (endpoint && cache.tokenEndpoint) {
    endpoint.replaceChildren(Object.assign(document.createElement('code'), { textContent: cache.tokenEndpoint }));
  }
  for (const el of document.querySelectorAll('[data-stat]')) {
    const value = cache.stats[el.dataset.stat];
    if (value !== undefined) el.textContent = String(value);
  }
  // The server's clock may differ from this one: shift the timestamps by the difference.
  const skew = Date.now() - cache.now;
  const rows = cache.entries.map((entry) => {
    const tr = document.createElement('tr');
    const target = entry.audience
      ? t('scripts:m2m.target_audience', { value: entry.audience })
      : entry.resource
        ? t('scripts:m2m.target_resource', { value: entry.resource })
        : '—';
    tr.append(
      cell(
        entry.organization
          ? t('scripts:m2m.target_with_organization', { target, organization: entry.organization })
          : target,
      ),
      cell(entry.grantedScopes.join(' ') || '—'),
      cell(seconds(cache.now - entry.issuedAt), { 'data-age-from': String(entry.issuedAt + skew) }),
      cell(seconds(entry.expiresAt - cache.now), { 'data-until': String(entry.expiresAt + skew) }),
      cell(seconds(entry.renewAt - cache.now), { 'data-until': String(entry.renewAt + skew) }),
      cell(t('scripts:common.seconds', { seconds: entry.lifetimeSeconds })),
    );
    const state = document.createElement('td');
    const badge = document.createElement('span');
    badge.className = `badge${entry.status === 'fresh' ? ' badge-ok' : entry.status === 'expired' ? ' badge-error' : ''}`;
    badge.textContent = STATUSES.has(entry.status) ? t(`scripts:m2m.status.${entry.status}`) : entry.status;
    state.append(badge);
    tr.append(state);
    return tr;
  });
  if (rows.length) entriesEl.replaceChildren(...rows);
}

function showError(code, message) {
  errorEl.hidden = false;
  errorEl.replaceChildren(
    Object.assign(document.createElement('strong'), { textContent: code }),
    document.createTextNode(`: ${message}`),
  );
}

for (const form of forms) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    statusEl.textContent = '…';
    statusEl.className = 'badge';
    latencyEl.textContent = '';
    retriedEl.textContent = '';
    errorEl.hidden = true;
    try {
      // The form's action names the API (`/m2m/call?api=management`).
      const response = await fetch(form.action, {
        method: 'POST',
        headers: { 'X-CSRF': '1', Accept: 'application/json' },
        credentials: 'same-origin',
      });
      const data = await response.json();
      if (data.result) {
        const { result } = data;
        statusEl.textContent = `HTTP ${result.status}`;
        statusEl.className = result.ok ? 'badge badge-ok' : 'badge badge-error';
        latencyEl.textContent = t('scripts:common.milliseconds', { ms: result.durationMs });
        if (result.retried) retriedEl.textContent = t('scripts:m2m.retried');
        output.textContent = typeof result.body === 'string' ? result.body : JSON.stringify(result.body, null, 2);
      } else {
        statusEl.textContent = data.error || `HTTP ${response.status}`;
        statusEl.className = 'badge badge-error';
        showError(data.error || `HTTP ${response.status}`, data.error_description || t('scripts:m2m.call_failed'));
        output.textContent = JSON.stringify({ error: data.error, details: data.details }, null, 2);
        if (response.status === 401) output.textContent += `\n\n${t('scripts:common.session_ended')}`;
      }
      renderCache(data.cache);
      tick();
    } catch (err) {
      statusEl.textContent = t('scripts:common.network_error');
      statusEl.className = 'badge badge-error';
      output.textContent = String(err);
    }
  });
}

tick();
setInterval(tick, 1000);

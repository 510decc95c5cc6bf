// The API console: calls /api/* through the BFF. Every call carries X-CSRF: 1,
// the header a cross-site page cannot send; the cookie travels automatically.
// Messages come from the page's language (messages.js).
const { t, lang } = window.pageMessages;
const output = document.getElementById('call-output');
const label = document.getElementById('call-label');
const statusEl = document.getElementById('call-status');
const latencyEl = document.getElementById('call-latency');
const expiryEl = document.getElementById('token-expiry');
const versionEl = document.getElementById('token-version');
const refreshList = document.getElementById('refreshes');
let expiresAt = 0;
// Each configured API's row in the "Access token per API" table (only with more than one API).
let apiStatuses = [];

const sampleAppointment = () => ({
  title: 'Check-up',
  startsAt: new Date(Date.now() + 86400000).toISOString(),
  with: 'Dr. Demo',
});

async function call(method, path, body) {
  label.textContent = `${method} ${path}`;
  statusEl.textContent = '…';
  statusEl.className = 'badge';
  const started = performance.now();
  try {
    const response = await fetch(path, {
      method,
      headers: { 'X-CSRF': '1', Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
    });
    const text = await response.text();
    latencyEl.textContent = t('scripts:common.milliseconds', { ms: Math.round(performance.now() - started) });
    statusEl.textContent = `${response.status} ${response.statusText}`;
    statusEl.className = response.ok ? 'badge badge-ok' : 'badge badge-error';
    try {
      output.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      output.textContent = text || t('scripts:console.empty_body');
    }
    if (response.status === 401) output.textContent += `\n\n${t('scripts:common.session_ended')}`;
  } catch (err) {
    statusEl.textContent = t('scripts:common.network_error');
    statusEl.className = 'badge badge-error';
    output.textContent = String(err);
  }
  await loadInfo();
}

const REFRESH_REASONS = new Set(['expiring', 'rejected_by_api', 'manual', 'first_use']);

function describeRefresh(r) {
  const when = new Date(r.at).toLocaleTimeString(lang);
  // A named API's grant says which API's token it was for; the default API's says nothing more.
  const forApi = r.api ? t('scripts:console.for_api', { api: r.api }) : '';
  if (r.type === 'refresh_failed')
    return t('scripts:console.refresh_failed', { when, forApi, error: r.error, reason: r.reason });
  const why = REFRESH_REASONS.has(r.reason) ? t(`scripts:console.why.${r.reason}`) : r.reason;
  return t(r.rotated ? 'scripts:console.refreshed_rotated' : 'scripts:console.refreshed_kept', {
    when,
    forApi,
    why,
    lifetime: r.lifetimeSeconds,
  });
}

async function loadInfo() {
  const response = await fetch('/session/info', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' });
  if (!response.ok) {
    expiryEl.textContent = t('scripts:console.not_logged_in');
    return;
  }
  const info = await response.json();
  expiresAt = info.accessToken.expiresAt;
  versionEl.textContent = String(info.accessToken.version);
  apiStatuses = info.apis || [];
  for (const api of apiStatuses) {
    const sends = document.querySelector(`#api-tokens tr[data-api="${CSS.escape(api.name)}"] [data-field="sends"]`);
    if (sends) sends.textContent = describeApiToken(api);
  }
  refreshList.replaceChildren(
    ...(info.refreshes.length
      ? info.refreshes
          .slice()
          .reverse()
          .map((r) => Object.assign(document.createElement('li'), { textContent: describeRefresh(r) }))
      : [
          Object.assign(document.createElement('li'), {
            textContent: t('scripts:console.no_refresh_yet'),
            className: 'muted',
          }),
        ]),
  );
  tick();
}

function describeApiToken(api) {
  if (api.sends === 'app') return t('scripts:console.api_token.app');
  if (api.refused) return t('scripts:console.api_token.refused', { reason: api.refused });
  if (!api.accessToken) return t('scripts:console.api_token.not_fetched');
  return t('scripts:console.api_token.user');
}

function secondsLeft(at) {
  const left = Math.round((at - Date.now()) / 1000);
  return left > 0 ? t('scripts:common.seconds', { seconds: left }) : t('scripts:console.expired');
}

function tick() {
  if (!expiresAt) return;
  expiryEl.textContent = secondsLeft(expiresAt);
  for (const api of apiStatuses) {
    const cell = document.querySelector(`#api-tokens tr[data-api="${CSS.escape(api.name)}"] [data-field="expiry"]`);
    if (cell) cell.textContent = api.accessToken ? secondsLeft(api.accessToken.expiresAt) : '—';
  }
}

for (const button of document.querySelectorAll('#calls button')) {
  button.addEventListener('click', () => {
    const body = button.dataset.body === 'appointment' ? sampleAppointment() : undefined;
    void call(button.dataset.method, button.dataset.path, body);
  });
}
// The API selector: GET <mount><path> on the chosen API (the path is checked again by the server).
const apiForm = document.getElementById('api-call-form');
if (apiForm) {
  const select = document.getElementById('api-select');
  const pathInput = document.getElementById('api-path');
  select.addEventListener('change', () => {
    pathInput.value = select.selectedOptions[0]?.dataset.example ?? '';
  });
  apiForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void call('GET', `${select.value}${pathInput.value.replace(/^\/+/, '')}`);
  });
}
document.getElementById('refresh-now').addEventListener('click', async () => {
  label.textContent = 'POST /session/refresh';
  const response = await fetch('/session/refresh', {
    method: 'POST',
    headers: { 'X-CSRF': '1' },
    credentials: 'same-origin',
  });
  statusEl.textContent = `${response.status}`;
  statusEl.className = response.ok ? 'badge badge-ok' : 'badge badge-error';
  output.textContent = JSON.stringify(await response.json().catch(() => ({})), null, 2);
  await loadInfo();
});
setInterval(tick, 1000);
void loadInfo();

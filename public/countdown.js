// Live "seconds left" on the Tokens page, in the page's language (messages.js). No data leaves the page.
const { t } = window.pageMessages;
for (const el of document.querySelectorAll('[data-countdown]')) {
  const expiresAt = Number(el.getAttribute('data-countdown'));
  const tick = () => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    el.textContent = left > 0 ? t('scripts:common.seconds', { seconds: left }) : t('scripts:countdown.expired');
  };
  tick();
  setInterval(tick, 1000);
}

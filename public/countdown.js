// Live "seconds left" on the Tokens page. No data leaves the page.
for (const el of document.querySelectorAll('[data-countdown]')) {
  const expiresAt = Number(el.getAttribute('data-countdown'));
  const tick = () => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    el.textContent = left > 0 ? `${left} s` : 'expired (refreshed on the next API call)';
  };
  tick();
  setInterval(tick, 1000);
}

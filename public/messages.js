// The messages of this page's scripts, in the page's language: the server writes them into the
// data block #page-messages (src/i18n/script-messages.ts). The keys are the server's own,
// `namespace:path`; whole sentences with named placeholders, filled here the way i18next fills
// them on the server: t('scripts:console.expired'), t('scripts:common.seconds', { seconds: 5 }).
// A key the page was not given shows the same marker as on the server, so the page tests catch it.
window.pageMessages = (() => {
  const block = document.getElementById('page-messages');
  const data = block ? JSON.parse(block.textContent) : { lang: document.documentElement.lang, messages: {} };
  const lookup = (key) => {
    const [namespace, path = ''] = key.split(':');
    return path
      .split('.')
      .reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), data.messages[namespace]);
  };
  return {
    lang: data.lang,
    t(key, values = {}) {
      const text = lookup(key);
      if (typeof text !== 'string') return `${data.missing} ${key}`;
      return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (placeholder, name) =>
        Object.hasOwn(values, name) ? String(values[name]) : placeholder,
      );
    },
  };
})();

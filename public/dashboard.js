// neevscan alert review: new alerts appear in the list without a reload.
// Every few seconds (5 by default; while the tab is visible) it asks the server for the list's
// first page and the counts per state, under the same filters. Rows come as
// HTML the server escaped; the page works without this script.
(() => {
  'use strict';
  const table = document.querySelector('table[data-poll]');
  if (!table) return;
  const source = table.getAttribute('data-poll');
  const withRows = table.getAttribute('data-rows') === '1';
  const live = document.getElementById('live');
  const INTERVAL_MS = Math.max(1, Number(table.getAttribute('data-interval')) || 5) * 1000;
  let busy = false;

  function showRows(html) {
    const body = table.tBodies[0];
    const shown = Array.from(body.rows, (row) => row.dataset.id || '');
    const template = document.createElement('template');
    template.innerHTML = html;
    const fresh = Array.from(template.content.querySelectorAll('tr'));
    const ids = fresh.map((row) => row.dataset.id || '');
    if (ids.join(' ') === shown.join(' ')) return;
    const added = fresh.filter((row) => row.dataset.id && !shown.includes(row.dataset.id));
    for (const row of added) row.classList.add('new');
    // Keep the keyboard where it was: the focused row's link gets focus back.
    const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest('tr[data-id]') : null;
    body.replaceChildren(...fresh);
    if (focused) {
      const again = body.querySelector(`tr[data-id="${CSS.escape(focused.dataset.id)}"] a`);
      if (again) again.focus();
    }
    if (added.length && live) live.textContent = added.length === 1 ? '1 new alert' : `${added.length} new alerts`;
  }

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(source, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401) {
        window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
        return;
      }
      if (!response.ok) return;
      const answer = await response.json();
      for (const element of document.querySelectorAll('[data-count]')) {
        const n = answer.counts && answer.counts[element.dataset.count];
        if (typeof n === 'number') element.textContent = n.toLocaleString('en-US') + (answer.counts.complete ? '' : '+');
      }
      if (withRows && typeof answer.rows === 'string') showRows(answer.rows);
    } catch {
      // Offline or restarting: the next round tries again.
    } finally {
      busy = false;
    }
  }

  setInterval(refresh, INTERVAL_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
})();

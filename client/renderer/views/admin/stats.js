// The console's live figures: users online, open sockets, messages today, accounts. Read
// every few seconds while the section is shown and the page is visible, and not otherwise.

import { h } from '../dom.js';

export const FIGURES = Object.freeze(['users_online', 'sockets', 'messages_today', 'users_active', 'users_total']);

export function createStatsSection(app, admin) {
  const t = app.t;
  let shown = false;

  const values = new Map(FIGURES.map((f) => [f, h('div', { class: 'admin-figure-value', id: `admin-stat-${f.replace(/_/g, '-')}`, text: '—' })]));
  const updated = h('div', { class: 'muted small', id: 'admin-stats-updated', role: 'status', 'aria-live': 'off' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const element = h(
    'div',
    { class: 'admin-section', id: 'admin-stats-section' },
    h(
      'div',
      { class: 'admin-figures' },
      FIGURES.map((f) => h('div', { class: 'admin-figure', dataset: { figure: f } }, values.get(f), h('div', { class: 'muted small', text: t(`admin.stats.${f}`) }))),
    ),
    updated,
    error,
  );

  const visible = () => globalThis.document?.visibilityState !== 'hidden';

  function follow() {
    if (shown && visible()) {
      if (!admin.watchingStats) admin.watchStats();
    } else admin.stopStats();
  }

  globalThis.document?.addEventListener?.('visibilitychange', follow);

  function render() {
    const s = admin.stats;
    for (const f of FIGURES) values.get(f).textContent = s && typeof s[f] === 'number' ? String(s[f]) : '—';
    updated.textContent = admin.statsAt ? t('admin.stats.updated', { time: app.format.time(new Date(admin.statsAt).toISOString()) }) : '';
    error.hidden = !admin.statsError;
    error.textContent = admin.statsError ? app.format.error(admin.statsError) : '';
  }

  return {
    id: 'stats',
    element,
    render,
    show() {
      shown = true;
      follow();
      render();
    },
    hide() {
      shown = false;
      follow();
    },
  };
}

// The console's Reports section: the messages members reported, open or resolved; an open
// one is resolved by dismissing it, deleting the message, or deactivating its sender.

import { h } from '../dom.js';
import { confirmModal } from '../modals.js';
import { REPORT_STATUSES } from '../../lib/admin.js';
import { listFoot, select, when } from './common.js';

const person = (p) => (p ? `${p.display_name || p.username} (@${p.username})` : '—');

export function createReportsSection(app, admin) {
  const t = app.t;
  const list = admin.reports;
  let notice = null;
  const busy = new Set();

  const filter = select(
    t('admin.reports.status_label'),
    'status',
    REPORT_STATUSES.map((s) => [s, t(`admin.reports.status.${s}`)]),
    list.filter.status,
    (status) => list.setFilter({ status }),
  );
  const result = h('div', { class: 'admin-result', id: 'admin-reports-result' });
  const rows = h('ul', { class: 'admin-list', id: 'admin-reports', 'aria-label': t('admin.sections.reports') });
  const foot = h('div', { class: 'admin-foot' });
  const element = h('div', { class: 'admin-section', id: 'admin-reports-section' }, h('div', { class: 'admin-toolbar' }, filter), result, rows, foot);

  async function resolve(report, action) {
    if (action !== 'dismiss') {
      const confirmText = t(`admin.reports.${action}_confirm`, { name: report.message?.sender?.username || '' });
      if (!(await confirmModal(app, confirmText, t(`admin.reports.action.${action}`)))) return;
    }
    busy.add(report.id);
    render();
    try {
      await admin.resolveReport(report.id, action);
      notice = { text: t('admin.reports.resolved_note'), error: false };
    } catch (err) {
      notice = { text: app.format.error(err), error: true };
    } finally {
      busy.delete(report.id);
      render();
    }
  }

  function row(report) {
    const m = report.message || {};
    const open = report.status === 'open';
    return h(
      'li',
      { class: `admin-row admin-report status-${report.status}`, dataset: { id: String(report.id) } },
      h(
        'div',
        { class: 'admin-row-main' },
        h('blockquote', { class: `admin-report-text${m.deleted ? ' deleted' : ''}`, text: m.deleted ? t('message.deleted') : m.text || '' }),
        h('div', { class: 'small', text: t('admin.reports.sender', { name: person(m.sender), when: when(app, m.created_at) }) }),
        h('div', { class: 'small', text: t('admin.reports.reporter', { name: person(report.reporter), when: when(app, report.created_at) }) }),
        h('div', { class: 'admin-report-reason' }, h('span', { class: 'muted small', text: `${t('admin.reports.reason')}: ` }), h('span', { text: report.reason })),
        open ? null : h('div', { class: 'muted small admin-resolution', text: t('admin.reports.resolved_as', { action: t(`admin.reports.action.${report.resolution}`), when: when(app, report.resolved_at) }) }),
      ),
      open
        ? h(
            'div',
            { class: 'admin-row-actions' },
            ['dismiss', 'delete_message', 'deactivate_user'].map((action) =>
              h('button', {
                type: 'button',
                class: `btn small-btn${action === 'dismiss' ? '' : ' danger'}`,
                'data-action': action,
                text: t(`admin.reports.action.${action}`),
                disabled: busy.has(report.id) || (action === 'delete_message' && m.deleted),
                onclick: () => resolve(report, action),
              }),
            ),
          )
        : null,
    );
  }

  function render() {
    result.replaceChildren(notice ? h('div', { class: notice.error ? 'form-error' : 'form-ok', role: notice.error ? 'alert' : 'status', text: notice.text }) : '');
    rows.replaceChildren(...list.items.map(row));
    foot.replaceChildren(listFoot(app, list, { empty: t(`admin.reports.empty_${list.filter.status || 'open'}`) }) || '');
  }

  return {
    id: 'reports',
    element,
    render,
    show() {
      // Reports come in while the console is open: each visit reads them afresh.
      if (!list.loading) list.load();
      render();
    },
    hide() {},
  };
}

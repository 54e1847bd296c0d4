// The console's Audit section: the log, newest first, filtered by action and by actor
// (a click on an actor's name filters by them), paged with "more".

import { h } from '../dom.js';
import { AUDIT_ACTIONS } from '../../lib/admin.js';
import { listFoot, select, when } from './common.js';

export function createAuditSection(app, admin) {
  const t = app.t;
  const list = admin.audit;

  const actionFilter = select(
    t('admin.audit.action_label'),
    'action',
    [['', t('admin.audit.action_all')], ...AUDIT_ACTIONS.map((a) => [a, t(`admin.audit.action.${a}`)])],
    list.filter.action,
    (action) => list.setFilter({ action }),
  );
  const actorInput = h('input', {
    name: 'actor',
    type: 'number',
    min: '1',
    inputmode: 'numeric',
    placeholder: t('admin.audit.actor_placeholder'),
    onchange: (e) => setActor(e.target.value),
  });
  const clear = h('button', { type: 'button', class: 'btn', id: 'admin-audit-clear', text: t('admin.audit.clear'), onclick: () => clearFilters() });
  const rows = h('ul', { class: 'admin-list', id: 'admin-audit', 'aria-label': t('admin.sections.audit') });
  const foot = h('div', { class: 'admin-foot' });
  const element = h(
    'div',
    { class: 'admin-section', id: 'admin-audit-section' },
    h('div', { class: 'admin-toolbar' }, actionFilter, h('label', { class: 'field admin-filter' }, h('span', { text: t('admin.audit.actor_label') }), actorInput), clear),
    rows,
    foot,
  );

  function setActor(value) {
    const id = String(value || '').trim();
    actorInput.value = id;
    return list.setFilter({ actor: /^\d+$/.test(id) ? id : '' });
  }

  function clearFilters() {
    actorInput.value = '';
    actionFilter.querySelector('select').value = '';
    return list.setFilter({ actor: '', action: '' });
  }

  function actionText(action) {
    const key = `admin.audit.action.${action}`;
    return app.i18n?.has && !app.i18n.has(key) ? action : t(key);
  }

  function row(entry) {
    const actor = entry.actor
      ? h('button', { type: 'button', class: 'link-btn admin-actor', 'data-actor': String(entry.actor.id), title: t('admin.audit.by_actor'), text: `${entry.actor.display_name || entry.actor.username} (@${entry.actor.username})`, onclick: () => setActor(entry.actor.id) })
      : h('span', { class: 'muted admin-actor', text: t('admin.audit.system') });
    const target = entry.target_type ? `${t(`admin.audit.target.${entry.target_type}`)} ${entry.target_id ?? ''}`.trim() : '';
    return h(
      'li',
      { class: 'admin-row admin-audit-entry', dataset: { id: String(entry.id), action: entry.action } },
      h(
        'div',
        { class: 'admin-row-main' },
        h('div', { class: 'admin-row-title' }, h('span', { class: 'admin-audit-action', text: actionText(entry.action) }), h('span', { class: 'muted small', text: ` ${when(app, entry.at)}` })),
        h('div', { class: 'small' }, actor, target ? h('span', { class: 'muted', text: ` → ${target}` }) : null),
        entry.address || entry.detail ? h('div', { class: 'muted small', text: [entry.address, entry.detail].filter(Boolean).join(' · ') }) : null,
      ),
    );
  }

  function render() {
    rows.replaceChildren(...list.items.map(row));
    foot.replaceChildren(listFoot(app, list, { empty: t('admin.audit.empty') }) || '');
  }

  return {
    id: 'audit',
    element,
    render,
    show() {
      if (!list.loading) list.load();
      render();
    },
    hide() {},
  };
}

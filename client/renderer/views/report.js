// "Report" on someone else's message (issue 16): a small dialog asks for the reason and
// sends it to the server's administrators (POST /messages/{id}/report).

import { h } from './dom.js';
import { openModal } from './modals.js';

export const REASON_MAX = 1000;

export function createReportDialog(app) {
  const t = app.t;

  /** Opens the dialog for message `m`; resolves to the report, or null when dismissed. */
  function open(m) {
    return new Promise((resolve) => {
      let done = false;
      const reason = h('textarea', { name: 'reason', id: 'report-reason', rows: '4', maxlength: String(REASON_MAX), required: true, 'aria-describedby': 'report-hint' });
      const error = h('div', { class: 'form-error', id: 'report-error', role: 'alert', hidden: true });
      const submit = h('button', { type: 'submit', class: 'btn danger primary', id: 'report-submit', text: t('report.send') });
      const fail = (text) => {
        error.textContent = text;
        error.hidden = !text;
        reason.classList.toggle('invalid', Boolean(text));
      };
      const form = h(
        'form',
        {
          class: 'modal-body report-form',
          id: 'report-form',
          novalidate: true,
          onsubmit: async (e) => {
            e.preventDefault();
            const text = reason.value.trim();
            if (!text) {
              fail(t('report.reason_required'));
              reason.focus();
              return;
            }
            fail('');
            submit.disabled = true;
            try {
              const report = await app.api.reportMessage(m.id, text.slice(0, REASON_MAX));
              done = true;
              close();
              app.toast(t('report.sent'));
              resolve(report);
            } catch (err) {
              fail(app.format.error(err));
            } finally {
              submit.disabled = false;
            }
          },
        },
        h('label', { class: 'field', for: 'report-reason' }, h('span', { text: t('report.reason') }), reason),
        h('small', { class: 'hint', id: 'report-hint', text: t('report.hint') }),
        error,
        h('div', { class: 'modal-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), onclick: () => close() }), submit),
      );
      const close = openModal(app, t('report.title'), form, { onClose: () => !done && resolve(null) });
    });
  }

  return { open };
}

// The connection banner ("connecting", "offline, N waiting") and the toast for errors.

import { $ } from './dom.js';
import { Status } from '../lib/realtime.js';

export function createBanner(app) {
  const t = app.t;

  function render() {
    const el = $('#banner');
    const { realtime, store } = app;
    if (!realtime || !store) {
      el.hidden = true;
      return;
    }
    const status = realtime.status;
    if (status === Status.ONLINE || status === Status.STOPPED) {
      el.hidden = true;
      document.body.classList.remove('offline');
      return;
    }
    const pending = app.outbox?.sendable().length || 0;
    el.textContent =
      status === Status.CONNECTING
        ? t('status.connecting')
        : pending
          ? `${t('status.offline')} ${t('status.pending', { count: pending })}`
          : t('status.offline');
    el.hidden = false;
    document.body.classList.add('offline');
  }

  return { render };
}

/** A toast(text) that shows one message at a time for a few seconds. */
export function createToast() {
  const el = $('#toast');
  let timer = null;
  return (text) => {
    el.textContent = text;
    el.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => {
      el.hidden = true;
    }, 4000);
  };
}

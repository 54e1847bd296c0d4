// The admin console (issue 16), shown instead of the chats when the page's path is /admin:
// the same login and tokens, then a side navigation of sections, each its own module in
// this folder over one AdminConsole (lib/admin.js). Anyone who is not an administrator
// gets a plain "administrators only" page with the way back to the messenger.

import { $, h } from '../dom.js';
import { AdminConsole, SECTIONS } from '../../lib/admin.js';
import { confirmLogout } from '../account-menu.js';
import { createUsersSection } from './users.js';
import { createInvitesSection } from './invites.js';
import { createReportsSection } from './reports.js';
import { createAuditSection } from './audit.js';
import { createServerSettingsSection } from './settings.js';
import { createStatsSection } from './stats.js';

/** True for the console's paths: /admin, /admin/, /admin/anything (below any root path). */
export function isConsolePath(pathname) {
  return /(^|\/)admin(\/.*)?$/.test(pathname || '');
}

const BUILDERS = {
  users: createUsersSection,
  invites: createInvitesSection,
  reports: createReportsSection,
  audit: createAuditSection,
  settings: createServerSettingsSection,
  stats: createStatsSection,
};

function sectionFromHash() {
  const name = (globalThis.location?.hash || '').replace(/^#/, '');
  return SECTIONS.includes(name) ? name : 'users';
}

export function createAdminConsole(app, { root = () => $('#admin-screen'), builders = BUILDERS } = {}) {
  const t = app.t;
  let admin = null;
  let sections = null; // id -> section view
  let current = null;
  let unsubscribe = null;

  /** The way back to the messenger's chats (the page at the root of this server). */
  function messengerUrl() {
    const path = globalThis.location?.pathname || '/';
    return path.replace(/\/admin(\/.*)?$/, '/') || '/';
  }

  function header() {
    return h(
      'header',
      // A banner landmark (issue 17): inside the screen's <section> a header is not one by itself.
      { class: 'admin-head', role: 'banner' },
      h('h1', { class: 'admin-title', text: t('admin.title') }),
      admin?.me ? h('span', { class: 'muted small admin-me', text: t('admin.signed_in_as', { name: admin.me.username }) }) : null,
      h('a', { class: 'link-btn admin-back', id: 'admin-back', href: messengerUrl(), text: t('admin.back') }),
      h('button', { type: 'button', class: 'btn', id: 'admin-logout', text: t('auth.logout'), onclick: () => confirmLogout(app) }),
    );
  }

  function select(id, { focus = false } = {}) {
    if (!sections?.[id]) return;
    if (current && current !== id) sections[current].hide();
    current = id;
    for (const tab of root().querySelectorAll('.admin-tab')) {
      const on = tab.dataset.section === id;
      tab.classList.toggle('active', on);
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    }
    for (const [name, section] of Object.entries(sections)) section.element.parentNode.hidden = name !== id;
    if (globalThis.location && globalThis.history?.replaceState) globalThis.history.replaceState(null, '', `#${id}`);
    sections[id].show();
  }

  function onTabKey(e) {
    const i = SECTIONS.indexOf(current);
    let next = null;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') next = SECTIONS[(i + 1) % SECTIONS.length];
    if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') next = SECTIONS[(i - 1 + SECTIONS.length) % SECTIONS.length];
    if (e.key === 'Home') next = SECTIONS[0];
    if (e.key === 'End') next = SECTIONS[SECTIONS.length - 1];
    if (next) {
      e.preventDefault();
      select(next, { focus: true });
    }
  }

  function buildConsole(start) {
    sections = Object.fromEntries(SECTIONS.map((id) => [id, builders[id](app, admin)]));
    const nav = h(
      'nav',
      { class: 'admin-nav', 'aria-label': t('admin.title') },
      h(
        'div',
        { role: 'tablist', 'aria-orientation': 'vertical', class: 'admin-tabs', onkeydown: onTabKey },
        SECTIONS.map((id) =>
          h('button', { type: 'button', role: 'tab', class: 'admin-tab', id: `admin-tab-${id}`, 'aria-controls': `admin-panel-${id}`, dataset: { section: id }, text: t(`admin.sections.${id}`), onclick: () => select(id) }),
        ),
      ),
    );
    const panels = SECTIONS.map((id) =>
      h('section', { class: 'admin-panel', id: `admin-panel-${id}`, role: 'tabpanel', 'aria-labelledby': `admin-tab-${id}`, hidden: true }, h('h2', { text: t(`admin.sections.${id}`) }), sections[id].element),
    );
    root().replaceChildren(header(), h('div', { class: 'admin-body' }, nav, h('main', { class: 'admin-main' }, panels)));
    current = null;
    select(start);
  }

  function buildDenied() {
    sections = null;
    current = null;
    root().replaceChildren(
      header(),
      h(
        'div',
        { class: 'admin-denied', id: 'admin-denied', role: 'alert' },
        h('h2', { text: t('admin.denied_title') }),
        h('p', { text: t('admin.denied') }),
        h('a', { class: 'btn primary', href: messengerUrl(), text: t('admin.back') }),
      ),
    );
  }

  function build() {
    if (!admin) return;
    if (admin.access === 'denied') buildDenied();
    else if (admin.access === 'granted') buildConsole(current || sectionFromHash());
    else root().replaceChildren(h('div', { class: 'muted admin-loading', text: t('chat.loading') }));
  }

  function onChange(what) {
    if (what === 'access') {
      build();
      return;
    }
    sections?.[what]?.render();
  }

  /** Shows the console for the signed-in session (its access asked of the server). */
  async function open() {
    close();
    admin = new AdminConsole({ api: app.api });
    unsubscribe = admin.subscribe(onChange);
    const el = root();
    el.hidden = false;
    build();
    try {
      await admin.checkAccess();
    } catch (err) {
      el.replaceChildren(header(), h('div', { class: 'form-error', role: 'alert', text: app.format.error(err) }));
    }
    return admin;
  }

  function close() {
    if (current) sections?.[current]?.hide();
    admin?.stopStats();
    unsubscribe?.();
    admin = null;
    sections = null;
    current = null;
    const el = root();
    if (el) {
      el.hidden = true;
      el.replaceChildren();
    }
  }

  return {
    open,
    close,
    /** Draws the console again (the language changed). */
    render: () => build(),
    get isOpen() {
      return admin !== null;
    },
    get admin() {
      return admin;
    },
    select,
  };
}

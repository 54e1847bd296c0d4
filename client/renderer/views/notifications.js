// Desktop notifications for new messages, their sound, "mute all for an hour", the unread
// total in the window title and (in the desktop app) on the dock/taskbar badge and tray,
// and the "Notifications" section of the settings.
//
// The browser's Notification API is used in the desktop app too: Electron shows the
// renderer's notifications natively (toasts, Notification Center, libnotify), so the page
// keeps one code path, and the bridge only carries what the page cannot do itself (bring
// the window forward, set the badge). Decisions are in lib/notify.js.

import { h } from './dom.js';
import { chatTitle, userName } from './common.js';
import { HOUR_MS, NotificationGate, notificationContent, silencedBecause, titleWithUnread } from '../lib/notify.js';
import { PREFS_KEY, loadPrefs, savePrefs } from '../lib/notify-prefs.js';

// How long held notifications wait for more (and for a catch-up to end) before they show.
const HOLD_MS = 1500;
// One chat's messages in quick succession chime once (the gate limits all chats together).
const SOUND_GAP_MS = 1000;

export function createNotifications(app) {
  const t = app.t;
  const { desktop } = app;
  const storage = globalThis.localStorage;
  let prefs = loadPrefs(storage);
  const gate = new NotificationGate();
  const shown = new Map(); // tag -> Notification
  let holdTimer = null;
  let muteTimer = null;
  let audio = null;
  const lastSoundAt = new Map(); // tag -> ms
  let reported = null;

  const Api = () => globalThis.Notification;
  const permission = () => (Api() ? Api().permission : 'unsupported');
  const active = () => prefs.enabled && permission() === 'granted';
  const focused = () => document.visibilityState === 'visible' && document.hasFocus();

  function setPrefs(patch) {
    prefs = { ...prefs, ...patch };
    savePrefs(storage, prefs);
    scheduleUnmute();
    render();
  }

  /** Mutes every notification until `until` (ms; 0 turns them back on). */
  function muteUntil(until) {
    setPrefs({ mutedUntil: until > Date.now() ? until : 0 });
  }

  // When a mute ends, the tray's menu and the settings must say so.
  function scheduleUnmute() {
    clearTimeout(muteTimer);
    const left = prefs.mutedUntil - Date.now();
    if (left > 0) muteTimer = setTimeout(() => setPrefs({ mutedUntil: 0 }), Math.min(left, 2 ** 31 - 1));
  }

  // --- sound: a short two-note chime made with WebAudio (nothing to download) ------------

  function chime(tag) {
    const Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!prefs.sound || !Ctx) return;
    const now = Date.now();
    if (now - (lastSoundAt.get(tag) ?? -Infinity) < SOUND_GAP_MS) return;
    lastSoundAt.set(tag, now);
    try {
      audio ||= new Ctx();
      audio.resume?.().catch?.(() => {});
      const start = audio.currentTime;
      const gain = audio.createGain();
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.12, start + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
      gain.connect(audio.destination);
      const osc = audio.createOscillator();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(880, start);
      osc.frequency.setValueAtTime(1320, start + 0.1);
      osc.connect(gain);
      osc.start(start);
      osc.stop(start + 0.36);
    } catch {
      /* no audio device: stay quiet */
    }
  }

  // --- showing ---------------------------------------------------------------------------

  function bringForward() {
    globalThis.focus?.();
    desktop?.focusWindow?.();
  }

  function display({ tag, title, body, chatId }) {
    const Notification = Api();
    if (!Notification) return;
    let n;
    try {
      // silent: the chime above is the sound, and it can be turned off.
      n = new Notification(title, { body, tag, silent: true, lang: app.i18n.lang });
    } catch {
      return; // e.g. Android Chrome, where only a service worker may show them
    }
    shown.get(tag)?.close?.();
    shown.set(tag, n);
    n.onclick = () => {
      bringForward();
      if (chatId !== null && app.store?.chats.has(chatId)) app.openChat(chatId);
      n.close();
    };
    n.onclose = () => {
      if (shown.get(tag) === n) shown.delete(tag);
    };
    chime(tag);
  }

  function describe(message) {
    const { store } = app;
    const chat = store.chats.get(message.chat_id);
    const sender = userName(app, message.sender_id);
    const preview = message.text ? app.format.preview(message) : message.attachments?.length ? `📎 ${message.attachments[0].name || t('notifications.attachment')}` : '';
    return notificationContent(
      message,
      { sender, chat: chat && chat.kind !== 'direct' ? chatTitle(app, chat) : null, preview },
      { showText: prefs.preview, labels: { newMessage: t('notifications.new_message') } },
    );
  }

  function viewState() {
    return { focused: focused(), openChatId: app.store?.openChatId ?? null, now: Date.now(), mutedUntil: prefs.mutedUntil };
  }

  // Whether a chat was read by the user, here or on another device (the open chat of a
  // window in the background is not marked read: views/messages.js maybeMarkRead).
  function readByUser(chatId) {
    const chat = app.store?.chats.get(chatId);
    if (!chat) return true;
    return !(chat.unread_count > 0);
  }

  // A held notification still matters if its chat is unread and not in front of the user.
  function stillWanted(note) {
    const v = viewState();
    if (app.store?.chats.has(note.chatId) && readByUser(note.chatId)) return false;
    return !(v.focused && v.openChatId === note.chatId) && !(v.mutedUntil > v.now);
  }

  function releaseHeld() {
    holdTimer = null;
    if (!app.store) return;
    // A catch-up still paging: wait for all of it, then say it once.
    if (app.engine?.syncing) {
      holdTimer = setTimeout(releaseHeld, HOLD_MS);
      return;
    }
    const out = gate.release(stillWanted);
    if (!out || !active()) return;
    if (out.note) {
      display(out.note);
      return;
    }
    const { count, chatIds } = out.summary;
    const one = chatIds.length === 1 ? app.store.chats.get(chatIds[0]) : null;
    display({
      tag: 'summary',
      title: one ? chatTitle(app, one) : t('app.name'),
      body: t('notifications.summary', { count }),
      chatId: one ? one.id : null,
    });
  }

  /** A frame the sync engine applied (app.js onEngineEvent). */
  function onEvent(frame, result) {
    if (frame.type !== 'new_message' || !result?.isNew || !app.store) return;
    const message = result.message || frame.data?.message;
    if (!active() || silencedBecause(app.store, message, viewState()) !== null) return;
    // Pages of a catch-up (after a reconnect) are the backlog, not news as it happens.
    const backlog = !!app.engine?.syncing;
    const note = describe(message);
    if (gate.offer(note, { backlog }) === 'show') display(note);
    else if (holdTimer === null) holdTimer = setTimeout(releaseHeld, HOLD_MS);
  }

  // --- the title, the badge, and closing what was read ----------------------------------

  function render() {
    const { store } = app;
    const unread = store ? store.totalUnread() : 0;
    const title = titleWithUnread(t('app.name'), unread, (p) => t('notifications.title_unread', p));
    if (document.title !== title) document.title = title;
    const state = { unread, mutedUntil: prefs.mutedUntil, language: app.i18n.lang };
    if (desktop?.reportState && JSON.stringify(state) !== JSON.stringify(reported)) {
      reported = state;
      desktop.reportState(state);
    }
    // Read here or on another device: its notification has nothing more to say.
    for (const [tag, n] of shown) {
      if (!tag.startsWith('chat-') || !store) continue;
      if (readByUser(Number(tag.slice('chat-'.length)))) n.close();
    }
  }

  /** Signed out: nothing of the session stays on screen. */
  function clear() {
    clearTimeout(holdTimer);
    holdTimer = null;
    gate.clear();
    for (const n of shown.values()) n.close();
    shown.clear();
    render();
  }

  window.addEventListener('focus', () => {
    const open = app.store?.openChatId;
    if (open !== null && open !== undefined) shown.get(`chat-${open}`)?.close();
  });
  // Another tab of this browser changed them (they are the device's, not the tab's).
  window.addEventListener('storage', (e) => {
    if (e.key !== PREFS_KEY) return;
    prefs = loadPrefs(storage);
    scheduleUnmute();
    render();
  });
  desktop?.onMuteUntil?.((until) => muteUntil(until));
  scheduleUnmute();

  // --- the settings section ---------------------------------------------------------------

  function settingsSection() {
    const section = h('section', { class: 'settings-section', id: 'notification-settings' });
    const check = (id, label, checked, onchange, { disabled = false } = {}) =>
      h('label', { class: 'check-field' }, h('input', { type: 'checkbox', id, checked, disabled, onchange }), h('span', { text: label }));

    async function toggleEnabled(e) {
      const on = e.target.checked;
      if (on && permission() === 'default') {
        // Asked only now, from the user's own click: browsers ignore or punish asking unprompted.
        try {
          await Api().requestPermission();
        } catch {
          /* treated as not granted */
        }
      }
      setPrefs({ enabled: on });
      draw(); // unchecked again, with the reason, if the browser said no
    }

    function draw() {
      const p = permission();
      const parts = [h('h3', { text: t('notifications.section') })];
      parts.push(check('notify-enabled', t('notifications.enabled'), active(), toggleEnabled, { disabled: p === 'unsupported' || p === 'denied' }));
      if (p === 'denied' || p === 'unsupported') {
        parts.push(h('p', { class: 'hint', id: 'notify-permission', role: 'status', text: t(`notifications.${p}`) }));
      }
      parts.push(check('notify-preview', t('notifications.preview'), prefs.preview, (e) => setPrefs({ preview: e.target.checked })));
      parts.push(check('notify-sound', t('notifications.sound'), prefs.sound, (e) => setPrefs({ sound: e.target.checked })));
      const muted = prefs.mutedUntil > Date.now();
      parts.push(
        h(
          'div',
          { class: 'modal-actions' },
          muted ? h('span', { class: 'muted small', id: 'notify-muted-until', text: t('notifications.muted_until', { time: app.format.time(new Date(prefs.mutedUntil).toISOString()) }) }) : null,
          h('button', {
            type: 'button',
            class: 'btn',
            id: 'notify-mute',
            text: muted ? t('notifications.unmute') : t('notifications.mute_hour'),
            onclick: () => {
              muteUntil(muted ? 0 : Date.now() + HOUR_MS);
              draw();
            },
          }),
        ),
      );
      const login = h('div', { id: 'notify-login-row', hidden: true });
      parts.push(login);
      section.replaceChildren(...parts);
      // Start at login: the desktop app on Windows and macOS only.
      desktop?.getLoginItem?.().then((item) => {
        if (!item?.supported || !login.isConnected) return;
        login.hidden = false;
        login.replaceChildren(
          check('notify-login', t('notifications.login'), !!item.openAtLogin, async (e) => {
            const now = await desktop.setLoginItem(e.target.checked);
            e.target.checked = !!now?.openAtLogin;
          }),
        );
      }).catch(() => {});
    }

    draw();
    return section;
  }

  return { onEvent, render, clear, settingsSection, muteUntil, get prefs() { return { ...prefs }; } };
}

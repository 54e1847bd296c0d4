// The messenger UI's composition root. It builds one `app` object — the protocol modules
// of lib/ (REST, socket, outbox, sync, store), a small UI state, and the views of views/ —
// runs the signed-in session, and sends each store change to the views that show it.
// Views render from the store and `app.ui` only; none keeps state at module level. A new
// screen is a new module in views/ registered in createViews().

import { ApiClient, ApiError, TokenStore } from './lib/api.js';
import { ErrorCode } from './lib/errorcodes.js';
import { RealtimeClient, Status } from './lib/realtime.js';
import { Outbox, IndexedDbOutboxStorage, MemoryOutboxStorage } from './lib/outbox.js';
import { Store } from './lib/store.js';
import { SyncEngine } from './lib/sync.js';
import { I18n, DEFAULT_LANGUAGE } from './lib/i18n.js';
import { icon } from './lib/icons.js';
import { $ } from './views/dom.js';
import { createFormat } from './views/format.js';
import { createBanner, createToast } from './views/banner.js';
import { createAuthView } from './views/auth.js';
import { createChatList } from './views/chat-list.js';
import { createChatHeader } from './views/chat-header.js';
import { createMessageList } from './views/messages.js';
import { createComposer } from './views/composer.js';
import { createChatInfo } from './views/chat-info.js';
import { createNewGroup } from './views/new-group.js';
import { createSettings } from './views/settings.js';
import { createThemeEditor, applyCachedTheme } from './views/theme-editor.js';
// Profiles, contacts, privacy, devices, media (issue 14).
import { AvatarCache } from './lib/avatars.js';
import { createMyProfile } from './views/my-profile.js';
import { createUserProfile } from './views/user-profile.js';
import { createContacts } from './views/contacts.js';
import { createPrivacy } from './views/privacy.js';
import { createSessions } from './views/sessions.js';
import { createMediaPanel } from './views/media-panel.js';
// Replies, forwarding, pins (issue 15).
import { createForwardPicker } from './views/forward-picker.js';
import { createPinnedBar } from './views/pinned-bar.js';
// Reactions (issue 15).
import { createReactions } from './views/reactions.js';
import { createEmojiPicker } from './views/emoji-picker.js';
import { createMessageSearch } from './views/message-search.js';
// Mentions (issue 15).
import { createMentions } from './views/mentions.js';
import { createMentionPicker } from './views/mention-picker.js';
// My chat settings and drafts (issue 15).
import { createChatMenu } from './views/chat-menu.js';
import { createDrafts } from './views/drafts.js';
// The admin console at /admin and reporting messages (issue 16).
import { createAdminConsole, isConsolePath } from './views/admin/console.js';
import { createReportDialog } from './views/report.js';
// Messages look and feel (issue 17): the image viewer, the context menu, the upload preview.
import { createImageViewer } from './views/image-viewer.js';
import { createContextMenu } from './views/context-menu.js';
import { createUploadPreview } from './views/upload-preview.js';
// Notifications, the unread title and the desktop badge (issue 17).
import { createNotifications } from './views/notifications.js';
// Accessibility (issue 17): dialogs and the announcer of new messages.
import { closeAnyModal } from './views/modals.js';
import { createAnnouncer } from './views/announcer.js';

const LANG_KEY = 'messenger.lang';
// How long a typing notice lasts (the store drops it after 5 s), plus a little.
const TYPING_REFRESH_MS = 5100;

/** What the UI remembers besides the server's data (which is in the store). */
function createUiState() {
  return {
    authMode: 'login',
    search: '',
    searchResults: null,
    replyTo: null,
    editing: null,
    uploads: [], // {key, file, progress, done: stored file | null, error}
    uploadSeq: 0,
    loadingOlder: false,
    loadingNewer: false, // paging down a window opened at a message (views/messages.js)
    stickNext: false, // scroll to the newest message on the next draw
    lastTypingSent: 0,
    blobUrls: new Map(), // attachment id -> object URL
    infoOpen: false,
    memberPicker: null,
    media: null, // the info panel's media list (views/media-panel.js)
  };
}

function createViews(app) {
  app.views = {
    banner: createBanner(app),
    auth: createAuthView(app),
    chatList: createChatList(app),
    chatHeader: createChatHeader(app),
    messages: createMessageList(app),
    composer: createComposer(app),
    chatInfo: createChatInfo(app),
    newGroup: createNewGroup(app),
    settings: createSettings(app),
    themeEditor: createThemeEditor(app),
    // Profiles, contacts, privacy, devices, media (issue 14).
    myProfile: createMyProfile(app),
    userProfile: createUserProfile(app),
    contacts: createContacts(app),
    privacy: createPrivacy(app),
    sessions: createSessions(app),
    mediaPanel: createMediaPanel(app),
    // Replies, forwarding, pins (issue 15).
    forwardPicker: createForwardPicker(app),
    pinnedBar: createPinnedBar(app),
    // Reactions (issue 15): drawn by the message list, no store changes of their own.
    reactions: createReactions(app),
    emojiPicker: createEmojiPicker(app),
    messageSearch: createMessageSearch(app),
    // Mentions (issue 15).
    mentions: createMentions(app),
    mentionPicker: createMentionPicker(app),
    // My chat settings and drafts (issue 15).
    chatMenu: createChatMenu(app),
    drafts: createDrafts(app),
    // The admin console and reports (issue 16).
    adminConsole: createAdminConsole(app),
    report: createReportDialog(app),
    // Messages look and feel (issue 17).
    imageViewer: createImageViewer(app),
    contextMenu: createContextMenu(app),
    uploadPreview: createUploadPreview(app),
    // Notifications, the unread title and the desktop badge (issue 17).
    notifications: createNotifications(app),
    // Accessibility (issue 17): new messages of the open chat read out by screen readers.
    announcer: createAnnouncer(app),
  };
}

// The screens of issue 14 that stay open over the main screen; each draws only while open.
const PEOPLE_SCREENS = ['myProfile.render', 'userProfile.render', 'contacts.render', 'privacy.render', 'sessions.render'];
// Whatever shows a user's name or avatar.
const SHOWS_PEOPLE = ['chatList.render', 'chatList.renderMe', 'chatHeader.render', 'messages.render', 'chatInfo.render', 'userProfile.render', 'contacts.render', 'privacy.render'];

// Which views show which kind of store change ({kind} of Store.changed).
const VIEWS_BY_CHANGE = Object.freeze({
  me: ['chatList.renderMe', 'myProfile.render'],
  chats: ['chatList.render', 'chatHeader.render', 'messages.render', 'chatInfo.render', 'mentions.render', 'notifications.render'],
  presence: ['chatList.render', 'chatHeader.render', 'chatInfo.render', 'userProfile.render', 'contacts.render'],
  typing: ['chatList.render', 'chatHeader.render'],
  messages: ['messages.render', 'messageSearch.render'],
  outbox: ['messages.render'],
  settings: ['themeEditor.render'],
  users: SHOWS_PEOPLE,
  contacts: SHOWS_PEOPLE,
  blocks: ['userProfile.render', 'privacy.render', 'chatInfo.render'],
  privacy: ['privacy.render'],
  pins: ['pinnedBar.render'],
  draft: ['drafts.render'],
});

function createApp({ desktop, serverUrl, i18n }) {
  const app = {
    desktop,
    serverUrl,
    i18n,
    t: (key, params) => i18n.t(key, params),
    format: createFormat(i18n),
    ui: createUiState(),
    toast: createToast(),
    api: null,
    // The signed-in session; all null while signed out.
    store: null,
    outbox: null,
    realtime: null,
    engine: null,
    views: null,
    avatars: null, // blob URLs of uploaded avatars (lib/avatars.js), per session
    // The page is the admin console (/admin): after the login it shows instead of the chats.
    consoleMode: !desktop && isConsolePath(globalThis.location?.pathname),
  };

  /** Calls the views named like 'chatList.render', once each, in the order given. */
  function run(names) {
    if (!app.store) return;
    for (const name of new Set(names)) {
      const [view, method] = name.split('.');
      app.views[view][method]();
    }
  }

  app.renderAll = () => {
    if (!app.store) return;
    const { chatList, chatHeader, messages, composer, banner, chatInfo } = app.views;
    chatList.renderMe();
    chatList.render();
    chatHeader.render();
    messages.render();
    composer.render();
    banner.render();
    chatInfo.render();
    app.views.pinnedBar.render();
    app.views.messageSearch.render();
    run(PEOPLE_SCREENS);
    app.views.mentions.render();
    app.views.notifications.render(); // issue 17: the unread count in the title and badge
  };

  // Drawing (issue 17, the message list): the changes of every task until the next frame
  // are drawn together, each view once, so a burst of frames costs one draw. A change that
  // names a chat other than the open one does not draw the open chat's messages. Hidden
  // pages get no animation frames: a timer draws there instead.
  let queued = new Set();
  let drawTimer = null;
  function draw() {
    if (!queued.size) return;
    clearTimeout(drawTimer);
    const names = [];
    for (const kind of Object.keys(VIEWS_BY_CHANGE)) if (queued.has(kind)) names.push(...VIEWS_BY_CHANGE[kind]);
    const messages = queued.has('open-chat-messages');
    queued = new Set();
    run(messages ? names : names.filter((name) => name !== 'messages.render'));
  }
  function onStoreChange(what) {
    const first = !queued.size;
    queued.add(what.kind);
    if (what.chatId === undefined || what.chatId === null || what.chatId === app.store?.openChatId) queued.add('open-chat-messages');
    if (!first) return;
    requestAnimationFrame(draw);
    drawTimer = setTimeout(draw, 100);
  }

  let typingTimer = null;
  function scheduleTypingRefresh() {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      const { store } = app;
      if (!store) return;
      run(['chatHeader.render', 'chatList.render']);
      if (store.openChatId !== null && store.typingIn(store.openChatId).length) scheduleTypingRefresh();
    }, TYPING_REFRESH_MS);
  }

  function onEngineEvent(frame, result) {
    const { store } = app;
    app.views.notifications.onEvent(frame, result); // issue 17: desktop notifications
    app.views.announcer.onFrame(frame); // accessibility (issue 17)
    if (frame.type === 'resynced') {
      app.views.themeEditor.load();
      if (store.openChatId !== null) app.views.messages.loadHistory(store.openChatId, { reset: true });
      app.views.contacts.loadAll();
      app.views.pinnedBar.reload();
      return;
    }
    if (frame.type === 'profile_updated' && frame.data?.user?.id === store.me?.id) app.api.tokens.setUser(store.me);
    if (frame.type === 'error' && frame.data?.code && frame.data.code !== ErrorCode.THROTTLED) {
      if (!frame.data.client_id) app.toast(i18n.error(frame.data.code, frame.data.message));
      return;
    }
    if (frame.type === 'member_removed' && result?.removed) app.views.chatInfo.close();
    if (frame.type === 'privacy_updated' && result?.receiptsChanged) app.engine.reloadChats().catch(() => {});
    if (frame.type === 'typing') scheduleTypingRefresh();
  }

  app.setLanguage = async (lang) => {
    await i18n.use(lang);
    localStorage.setItem(LANG_KEY, i18n.lang);
    document.documentElement.lang = i18n.lang;
    document.title = app.t('app.name');
    i18n.apply(document);
    app.views.auth.render();
    app.renderAll();
    if (app.views.adminConsole.isOpen) app.views.adminConsole.render();
  };

  // --- session ---------------------------------------------------------------------------

  function outboxStorage() {
    try {
      if (globalThis.indexedDB) return new IndexedDbOutboxStorage(globalThis.indexedDB);
    } catch {
      /* private mode without IndexedDB */
    }
    return new MemoryOutboxStorage();
  }

  app.startSession = async () => {
    const { api } = app;
    const session = api.tokens.get();
    if (!session?.user) {
      app.views.auth.show();
      return;
    }
    if (app.consoleMode) {
      app.views.auth.hide();
      await app.views.adminConsole.open();
      return;
    }
    const store = new Store();
    store.setMe(session.user);
    const outbox = new Outbox({ storage: outboxStorage(), userId: session.user.id });
    try {
      await outbox.load();
    } catch {
      outbox.storage = new MemoryOutboxStorage();
    }
    const realtime = new RealtimeClient({
      url: `${serverUrl.replace(/^http/, 'ws')}/api/v1/ws`,
      getToken: () => api.accessToken(),
      refreshToken: () => api.refresh(api.tokens.get()?.access_token),
      tokenExpiresAt: () => api.tokens.get()?.expires_at ?? null,
      renewToken: async () => {
        await api.refresh();
        return api.tokens.get()?.access_token ?? null;
      },
      // Logged out elsewhere, this device revoked, or the password changed.
      onSessionEnded: () => {
        api.tokens.clear();
        app.onLoggedOut();
      },
      onReady: (data) => {
        if (data.user) {
          store.setMe(data.user);
          api.tokens.setUser(data.user);
        }
        engine.onReady();
      },
      onFrame: (frame) => engine.handleFrame(frame),
      onStatus: (status) => {
        if (status !== Status.ONLINE) engine?.onDisconnected();
        app.views.banner.render();
      },
    });
    const engine = new SyncEngine({
      api,
      realtime,
      store,
      outbox,
      onEvent: onEngineEvent,
      onError: (err) => console.warn('sync', err),
    });
    Object.assign(app, { store, outbox, realtime, engine, avatars: new AvatarCache({ fetchBlob: (url) => api.fileBlob(url) }) });
    store.subscribe(onStoreChange);
    app.views.auth.hide();
    $('#main-screen').hidden = false;
    app.renderAll();
    // Accessibility (issue 17): after signing in the keyboard starts where the work does, in
    // the search that finds a chat (no chat is open yet; opening one moves on to its
    // composer). Not on phones, where focusing a field pops the keyboard up.
    if (window.innerWidth > 720) $('#search').focus();
    try {
      await engine.bootstrap();
    } catch (err) {
      if (!(err instanceof ApiError) || !err.isNetwork) console.warn('bootstrap', err);
    }
    if (app.store !== store) return; // logged out meanwhile
    app.views.themeEditor.load();
    app.views.contacts.loadAll(); // local names; the chat list is drawn again when they come
    realtime.start();
    app.views.banner.render();
  };

  function stopSession() {
    app.realtime?.stop();
    app.engine?.stop(); // a catch-up waiting to retry gives up
    for (const url of app.ui.blobUrls.values()) URL.revokeObjectURL(url);
    app.avatars?.clear();
    const { authMode } = app.ui;
    Object.assign(app.ui, createUiState(), { authMode });
    Object.assign(app, { store: null, outbox: null, realtime: null, engine: null, avatars: null });
    app.views.chatList.clearSearch();
    app.views.chatList.clear();
    app.views.messages.clear();
    app.views.chatInfo.close();
    app.views.notifications.clear(); // issue 17: no notification or count of the old session
    // Accessibility (issue 17): a dialog of the ended session would keep the sign-in screen
    // inert, and the last announcement is not to be read again.
    closeAnyModal();
    app.views.announcer.clear();
  }

  app.logout = async () => {
    app.views.adminConsole.close();
    stopSession();
    try {
      await app.api.logout();
    } catch {
      /* the token is forgotten locally anyway */
    }
    app.views.auth.show();
  };

  /** Ends the session here after the server ended it for good (my account deleted). */
  app.leaveSession = (notice) => {
    app.api.tokens.clear();
    if (app.store) stopSession();
    closeAnyModal();
    app.views.auth.show(notice);
  };

  app.onLoggedOut = () => {
    if (app.views.adminConsole.isOpen) {
      app.views.adminConsole.close();
      app.views.auth.show({ key: 'auth.session_expired' });
      return;
    }
    if (!app.store) return;
    stopSession();
    app.views.auth.show({ key: 'auth.session_expired' });
  };

  // --- opening chats -------------------------------------------------------------------

  /** Opens a chat: at its newest messages, or with `at`, at that message (see openChatAt). */
  app.openChat = async (chatId, { at = null } = {}) => {
    const { store, ui, views } = app;
    if (!store.chats.has(chatId)) return false;
    const changed = store.openChatId !== chatId;
    store.openChatId = chatId;
    app.engine?.followOpenChat();
    if (changed) {
      views.composer.reset();
      views.drafts.switchTo(chatId);
      ui.stickNext = at === null;
    }
    app.renderAll();
    views.composer.autoGrow();
    let shown = true;
    if (at !== null) shown = await views.messages.openAt(chatId, at);
    else if (changed || !store.historyLoaded(chatId)) await views.messages.open(chatId);
    else ui.stickNext = false;
    if (window.innerWidth > 720) views.composer.focus();
    return shown;
  };

  /**
   * Opens a chat at one of its messages (a search result, a reply's original, a pin): the
   * history around it is loaded when it is not, and the message is scrolled to and
   * highlighted. Resolves to whether the message was shown.
   */
  app.openChatAt = (chatId, messageId) => app.openChat(chatId, { at: messageId });

  /** Opens the admin console (the account menu's "Administration", admins only). */
  app.openConsole = () => {
    const url = `${serverUrl}/admin`;
    if (desktop) globalThis.open(url, '_blank', 'noopener');
    else globalThis.location.assign(url);
  };

  app.closeChat = () => {
    app.store.openChatId = null;
    app.engine?.followOpenChat();
    app.views.chatInfo.close();
    app.renderAll();
  };

  return app;
}

async function main() {
  const desktop = globalThis.messengerDesktop || null;
  const serverUrl = (desktop ? await desktop.getServerUrl() : globalThis.location.origin).replace(/\/+$/, '');
  const i18n = new I18n({
    load: async (lang) => {
      const r = await fetch(`locales/${lang}.json`);
      if (!r.ok) throw new Error(`locale ${lang}: ${r.status}`);
      return r.json();
    },
  });
  const app = createApp({ desktop, serverUrl, i18n });
  for (const el of document.querySelectorAll('[data-icon]')) el.replaceChildren(icon(el.dataset.icon));
  createViews(app);
  applyCachedTheme();
  await app.setLanguage(localStorage.getItem(LANG_KEY) || DEFAULT_LANGUAGE);
  app.api = new ApiClient({ baseUrl: `${serverUrl}/api/v1`, tokens: new TokenStore(localStorage), onLoggedOut: app.onLoggedOut });
  window.addEventListener('online', () => app.realtime?.reconnectNow());
  // Exposed for the end-to-end tests and for debugging from the devtools console.
  globalThis.messengerApp = {
    get store() {
      return app.store;
    },
    get realtime() {
      return app.realtime;
    },
    get engine() {
      return app.engine;
    },
    setLanguage: app.setLanguage,
    app,
  };
  if (app.api.tokens.get()?.user) await app.startSession();
  else app.views.auth.show();
}

main();

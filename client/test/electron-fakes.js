// Electron's main-process modules, faked: enough of app, BrowserWindow, Tray, Menu,
// nativeImage, screen, ipcMain, protocol, session and shell for electron/desktop.cjs to run
// in Node, recording what it asked of them.

import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

class FakeWebContents extends EventEmitter {
  constructor() {
    super();
    this.sent = [];
    this.openHandler = null;
    this.reloaded = 0;
  }
  send(channel, ...args) {
    this.sent.push([channel, ...args]);
  }
  setWindowOpenHandler(fn) {
    this.openHandler = fn;
  }
  reloadIgnoringCache() {
    this.reloaded += 1;
  }
}

export class FakeImage {
  constructor({ size = 32, bitmap = null, from = 'path' } = {}) {
    this.size = size;
    this.bitmap = bitmap || Buffer.alloc(size * size * 4);
    this.from = from;
  }
  resize({ width }) {
    return new FakeImage({ size: width, from: this.from });
  }
  toBitmap() {
    return Buffer.from(this.bitmap);
  }
}

/** A fake of require('electron') and the records of what was done with it. */
export function fakeElectron({ lock = true, displays = null, loginItem = { openAtLogin: false }, isPackaged = false } = {}) {
  const userData = mkdtempSync(path.join(tmpdir(), 'messenger-electron-'));
  const windows = [];
  const trays = [];
  const menus = [];
  const ipcHandlers = {};
  const ipcListeners = {};
  const app = new EventEmitter();
  Object.assign(app, {
    isPackaged,
    quits: 0,
    badge: null,
    loginSettings: [],
    appUserModelId: null,
    requestSingleInstanceLock: () => lock,
    quit() {
      app.quits += 1;
      app.emit('before-quit');
    },
    whenReady: () => Promise.resolve(),
    getPath: (name) => (name === 'userData' ? userData : tmpdir()),
    getLocale: () => 'ru-RU',
    setBadgeCount(n) {
      app.badge = n;
      return true;
    },
    setAppUserModelId(id) {
      app.appUserModelId = id;
    },
    getLoginItemSettings: () => ({ ...loginItem }),
    setLoginItemSettings(settings) {
      app.loginSettings.push(settings);
      loginItem.openAtLogin = settings.openAtLogin;
    },
  });

  class BrowserWindow extends EventEmitter {
    constructor(options) {
      super();
      this.options = options;
      this.webContents = new FakeWebContents();
      this.visible = false;
      this.minimized = false;
      this.maximized = false;
      this.destroyed = false;
      this.focused = 0;
      this.overlay = null;
      this.bounds = { x: options.x ?? 100, y: options.y ?? 100, width: options.width, height: options.height };
      this.url = null;
      windows.push(this);
    }
    static getAllWindows() {
      return windows.filter((w) => !w.destroyed);
    }
    removeMenu() {}
    loadURL(url) {
      this.url = url;
    }
    show() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    focus() {
      this.focused += 1;
    }
    isMinimized() {
      return this.minimized;
    }
    restore() {
      this.minimized = false;
    }
    maximize() {
      this.maximized = true;
      this.emit('maximize');
    }
    isMaximized() {
      return this.maximized;
    }
    isDestroyed() {
      return this.destroyed;
    }
    getNormalBounds() {
      return { ...this.bounds };
    }
    setOverlayIcon(image, description) {
      this.overlay = { image, description };
    }
    /** What a user's click on the close button does: 'close' (cancellable), then destroyed. */
    close() {
      let prevented = false;
      this.emit('close', { preventDefault: () => (prevented = true) });
      if (prevented) return false;
      this.destroyed = true;
      this.visible = false;
      this.emit('closed');
      return true;
    }
  }

  class Tray extends EventEmitter {
    constructor(image) {
      super();
      this.image = image;
      this.tooltip = null;
      this.title = null;
      this.menu = null;
      trays.push(this);
    }
    setImage(image) {
      this.image = image;
    }
    setToolTip(text) {
      this.tooltip = text;
    }
    setTitle(text) {
      this.title = text;
    }
    setContextMenu(menu) {
      this.menu = menu;
    }
    destroy() {}
  }

  const Menu = {
    buildFromTemplate(template) {
      const menu = { items: template };
      menus.push(menu);
      return menu;
    },
  };

  const nativeImage = {
    createFromPath: () => new FakeImage({ from: 'path' }),
    createFromBitmap: (bitmap, { width }) => new FakeImage({ size: width, bitmap, from: 'bitmap' }),
  };

  const workArea = { x: 0, y: 0, width: 1920, height: 1040 };
  const screen = {
    getAllDisplays: () => displays || [{ workArea }],
    getPrimaryDisplay: () => (displays || [{ workArea }])[0],
  };

  const ipcMain = {
    handle: (channel, fn) => (ipcHandlers[channel] = fn),
    on: (channel, fn) => (ipcListeners[channel] = fn),
  };

  const protocol = {
    schemes: null,
    handler: null,
    registerSchemesAsPrivileged(schemes) {
      protocol.schemes = schemes;
    },
    handle(scheme, fn) {
      protocol.handler = { scheme, fn };
    },
  };

  const permissions = { handler: null };
  const session = { defaultSession: { setPermissionRequestHandler: (fn) => (permissions.handler = fn) } };
  const opened = [];
  const shell = { openExternal: (url) => opened.push(url) };

  const electron = { app, BrowserWindow, Tray, Menu, nativeImage, screen, ipcMain, protocol, session, shell, net: { fetch: async () => new Response('') } };
  // An IPC event as the app's own page sends it (or another page, with `url`).
  const event = (url = 'app://./index.html') => ({ senderFrame: { url } });
  return { electron, app, windows, trays, menus, ipcHandlers, ipcListeners, protocol, permissions, opened, userData, event };
}

/** Timers that run only when told to. */
export function fakeTimers() {
  let seq = 0;
  const pending = new Map();
  return {
    setTimeout: (fn, ms) => {
      seq += 1;
      pending.set(seq, { fn, ms });
      return seq;
    },
    clearTimeout: (id) => pending.delete(id),
    setInterval: (fn, ms) => {
      seq += 1;
      pending.set(seq, { fn, ms, every: true });
      return { id: seq, unref() {} };
    },
    runAll() {
      for (const [id, t] of [...pending]) {
        if (!t.every) pending.delete(id);
        t.fn();
      }
    },
    pending,
  };
}

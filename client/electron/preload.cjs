// The only bridge between the sandboxed page and the main process: the server URL, what the
// desktop shows (unread count on the badge and tray, mute state, language of the tray's
// menu), bringing the window forward, start at login, and the tray's "mute" command.
// Nothing of Node or Electron is exposed beyond these calls.

const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('messengerDesktop', {
  getServerUrl: () => ipcRenderer.invoke('config:get-server-url'),
  setServerUrl: (url) => ipcRenderer.invoke('config:set-server-url', String(url)),
  reportState: (state) => ipcRenderer.send('desktop:state', { unread: Number(state?.unread) || 0, mutedUntil: Number(state?.mutedUntil) || 0, language: String(state?.language || '') }),
  focusWindow: () => ipcRenderer.send('desktop:focus'),
  getLoginItem: () => ipcRenderer.invoke('login-item:get'),
  setLoginItem: (on) => ipcRenderer.invoke('login-item:set', on === true),
  onMuteUntil: (callback) => {
    ipcRenderer.on('notify:mute-until', (_event, until) => callback(Number(until) || 0));
  },
});

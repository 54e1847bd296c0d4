// The only bridge between the sandboxed page and the main process: read and change the
// server URL. Nothing of Node or Electron is exposed beyond these two calls.

const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('messengerDesktop', {
  getServerUrl: () => ipcRenderer.invoke('config:get-server-url'),
  setServerUrl: (url) => ipcRenderer.invoke('config:set-server-url', String(url)),
});

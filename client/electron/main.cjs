// Electron's entry point: the main process is electron/desktop.cjs, run with Electron's API.
// The window is isolated (contextIsolation: true, nodeIntegration: false, sandbox: true;
// see desktop.cjs) and the page talks to this process only through preload.cjs.

const path = require('node:path');
const electron = require('electron');
const { startDesktop } = require('./desktop.cjs');

startDesktop(electron, { root: path.join(__dirname, '..') });

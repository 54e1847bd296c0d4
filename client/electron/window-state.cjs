// The window's size, position and maximised state, remembered across starts (in the app's
// config.json) and restored only where a display still shows it.

const DEFAULT_SIZE = { width: 1200, height: 800 };
const MIN_SIZE = { width: 380, height: 520 };
// How much of the window's top edge (where it is dragged from) must lie on a display for
// the saved position to be kept.
const GRIP = { width: 100, height: 32 };
const SAVE_DELAY_MS = 500;

function isNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

function overlap(a0, a1, b0, b1) {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** Whether enough of the window's title bar lies on one of the displays' work areas. */
function reachable(bounds, displays) {
  return displays.some(({ workArea: w }) => {
    const across = overlap(bounds.x, bounds.x + bounds.width, w.x, w.x + w.width);
    const down = overlap(bounds.y, bounds.y + GRIP.height, w.y, w.y + w.height);
    return across >= Math.min(GRIP.width, bounds.width) && down >= GRIP.height / 2;
  });
}

/**
 * The BrowserWindow bounds to start with: the saved ones when a display still shows them,
 * else the saved size (no larger than the primary display) centred by Electron.
 * `displays` and `primary` are what Electron's `screen` reports.
 */
function restoreBounds(saved, displays, primary) {
  const s = saved && typeof saved === 'object' ? saved : {};
  const area = primary?.workArea || { width: Infinity, height: Infinity };
  const size = {
    width: Math.max(MIN_SIZE.width, Math.round(isNumber(s.width) ? s.width : DEFAULT_SIZE.width)),
    height: Math.max(MIN_SIZE.height, Math.round(isNumber(s.height) ? s.height : DEFAULT_SIZE.height)),
  };
  const maximized = s.maximized === true;
  if (isNumber(s.x) && isNumber(s.y)) {
    const bounds = { x: Math.round(s.x), y: Math.round(s.y), ...size };
    if (reachable(bounds, displays || [])) return { ...bounds, maximized };
  }
  return {
    width: Math.min(size.width, Math.max(MIN_SIZE.width, area.width)),
    height: Math.min(size.height, Math.max(MIN_SIZE.height, area.height)),
    maximized,
  };
}

/** What to save of a window: its normal (unmaximised) bounds and whether it is maximised. */
function windowState(win) {
  const { x, y, width, height } = win.getNormalBounds();
  return { x, y, width, height, maximized: win.isMaximized() };
}

/**
 * Saves the window's state when it is moved or resized (debounced) and when it closes.
 * `save(state)` stores it; `timers` are setTimeout/clearTimeout (faked in tests).
 */
function trackWindowState(win, save, { setTimeout: setT = setTimeout, clearTimeout: clearT = clearTimeout } = {}) {
  let timer = null;
  const saveNow = () => {
    clearT(timer);
    timer = null;
    if (!win.isDestroyed?.()) save(windowState(win));
  };
  const saveSoon = () => {
    clearT(timer);
    timer = setT(saveNow, SAVE_DELAY_MS);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize']) win.on(event, saveSoon);
  win.on('close', saveNow);
  return saveNow;
}

module.exports = { DEFAULT_SIZE, MIN_SIZE, restoreBounds, windowState, trackWindowState, reachable };

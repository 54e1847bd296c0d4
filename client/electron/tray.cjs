// The tray icon: the unread count in its tooltip (and title on macOS), a red badge on the
// icon, and a menu to open the window, mute every notification for an hour, and quit.

const { badgeText, drawBadge, stampBadge } = require('./badge.cjs');

const HOUR_MS = 60 * 60 * 1000;
const ICON_SIZE = 32;
const BADGE_SIZE = 20;

function fill(template, params) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** The tray menu: Open, Mute all for an hour (Unmute while muted), Quit. */
function trayMenuTemplate({ mutedUntil = 0, now = Date.now(), labels }, actions) {
  const muted = mutedUntil > now;
  return [
    { id: 'open', label: labels.tray_open, click: actions.open },
    muted
      ? { id: 'unmute', label: labels.tray_unmute, click: actions.unmute }
      : { id: 'mute', label: labels.tray_mute_hour, click: actions.muteHour },
    { type: 'separator' },
    { id: 'quit', label: labels.tray_quit, click: actions.quit },
  ];
}

/** The tray's tooltip: the app's name, and how many messages are unread. */
function trayTooltip(unread, labels) {
  return unread > 0 ? `${labels.app_name} — ${fill(labels.tray_unread, { count: unread })}` : labels.app_name;
}

/**
 * The tray icon for `unread` messages: the app icon, with the count's badge over its corner
 * when there are any (macOS shows the count as the tray's title instead).
 */
function trayImage(nativeImage, iconPath, unread, platform) {
  const base = nativeImage.createFromPath(iconPath).resize({ width: ICON_SIZE, height: ICON_SIZE });
  const text = badgeText(unread);
  if (!text || platform === 'darwin') return base;
  const bitmap = stampBadge(base.toBitmap(), ICON_SIZE, drawBadge(text, BADGE_SIZE), BADGE_SIZE);
  return nativeImage.createFromBitmap(bitmap, { width: ICON_SIZE, height: ICON_SIZE });
}

/** Creates the tray; `update({unread, mutedUntil, labels})` redraws what changed. */
function createTray({ Tray, Menu, nativeImage }, { iconPath, platform, actions, now = () => Date.now() }) {
  const tray = new Tray(trayImage(nativeImage, iconPath, 0, platform));
  // Windows and Linux: a click on the icon brings the window back (macOS opens the menu).
  tray.on('click', actions.open);
  let shown = { unread: -1, muted: null, labels: null };
  function update({ unread, mutedUntil, labels }) {
    const muted = mutedUntil > now();
    if (unread !== shown.unread || labels !== shown.labels) {
      tray.setImage(trayImage(nativeImage, iconPath, unread, platform));
      tray.setToolTip(trayTooltip(unread, labels));
      if (platform === 'darwin') tray.setTitle(badgeText(unread));
    }
    if (muted !== shown.muted || labels !== shown.labels) {
      tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate({ mutedUntil, now: now(), labels }, actions)));
    }
    shown = { unread, muted, labels };
  }
  return { tray, update, destroy: () => tray.destroy() };
}

module.exports = { HOUR_MS, trayMenuTemplate, trayTooltip, trayImage, createTray };

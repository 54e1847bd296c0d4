// Auto-update through electron-updater's generic provider: on start and every few hours,
// only in a packaged app. A failed check is logged, never thrown: the messenger works on.

const { parseUrl } = require('./shared.cjs');

const CHECK_EVERY_MS = 4 * 60 * 60 * 1000;

/** An update feed URL: https anywhere, http only on this machine (a test server); else null. */
function feedUrl(raw) {
  const url = parseUrl(raw);
  if (!url) return null;
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return null;
  if (url.username || url.password) return null;
  return url.href.replace(/\/+$/, '');
}

/**
 * Starts checking for updates. The feed is the build's (electron-builder.yml `publish`,
 * baked into app-update.yml) unless MESSENGER_UPDATE_URL or config.json's `updateUrl`
 * names another generic server. Returns null when updates are off (development).
 */
function setupAutoUpdate({ app, loadUpdater, env = {}, config = {}, log = console, setInterval: setI = setInterval }) {
  if (!app.isPackaged) {
    log.info?.('updates: not checked in development');
    return null;
  }
  if (env.MESSENGER_DISABLE_UPDATES === '1') return null;
  let updater;
  try {
    updater = loadUpdater();
  } catch (err) {
    log.warn('updates: electron-updater unavailable:', err?.message || err);
    return null;
  }
  updater.logger = log;
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  const override = env.MESSENGER_UPDATE_URL ?? config.updateUrl;
  if (override !== undefined && override !== null && override !== '') {
    const url = feedUrl(override);
    if (url) updater.setFeedURL({ provider: 'generic', url });
    else log.warn('updates: ignoring an update URL that is not https:', String(override));
  }
  updater.on('error', (err) => log.warn('updates:', err?.message || err));
  const check = () => {
    try {
      return Promise.resolve(updater.checkForUpdatesAndNotify()).catch((err) => {
        log.warn('updates: check failed:', err?.message || err);
        return null;
      });
    } catch (err) {
      log.warn('updates: check failed:', err?.message || err);
      return Promise.resolve(null);
    }
  };
  const first = check();
  const timer = setI(check, CHECK_EVERY_MS);
  timer?.unref?.();
  return { updater, check, first, timer };
}

module.exports = { CHECK_EVERY_MS, feedUrl, setupAutoUpdate };

// This device's notification settings (not synced: whether this computer should pop up
// notifications or beep is a property of the computer, as in Telegram Desktop).

export const PREFS_KEY = 'messenger.notifications';

export const DEFAULT_PREFS = Object.freeze({
  enabled: true, // effective only once the browser allows notifications
  preview: true,
  sound: true,
  mutedUntil: 0, // "mute all for an hour": ms since the epoch
});

/** The saved settings, each one checked, defaults for what is missing or broken. */
export function loadPrefs(storage) {
  let saved = {};
  try {
    saved = JSON.parse(storage?.getItem(PREFS_KEY) || '{}') || {};
  } catch {
    saved = {};
  }
  const prefs = { ...DEFAULT_PREFS };
  for (const key of ['enabled', 'preview', 'sound']) if (typeof saved[key] === 'boolean') prefs[key] = saved[key];
  if (Number.isFinite(saved.mutedUntil) && saved.mutedUntil > 0) prefs.mutedUntil = saved.mutedUntil;
  return prefs;
}

export function savePrefs(storage, prefs) {
  try {
    storage?.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    /* private mode: the settings last for this page */
  }
}

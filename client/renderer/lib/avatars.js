// What an avatar shows, and the cache of uploaded avatar images. Uploaded avatars need the
// bearer token (privacy decides who may see them), so they are fetched and shown as blob
// URLs; their URLs carry a version (`?v=`) that changes with the picture, so a blob fetched
// once serves the whole session. Preset pictures and frames are public static files.

import { ApiError } from './api.js';

/** The path of a preset avatar's picture (a public static file). */
export const presetPath = (id) => `/api/v1/avatars/presets/${encodeURIComponent(id)}.svg`;
/** The path of an avatar frame's picture (a public static file). */
export const framePath = (id) => `/api/v1/avatar-frames/${encodeURIComponent(id)}.svg`;
// Pictures anyone may load (the server's presets and frames).
const PUBLIC_PICTURE = /\/api\/v1\/(avatars\/presets|avatar-frames)\//;

/**
 * What to draw for a profile, as plain values (views compare them to decide on a redraw):
 * `kind` is 'deleted' (a neutral placeholder), 'preset' (`url` is a public picture),
 * 'upload' (`url` is fetched with the token) or 'initials'; `frame` is a frame's picture or null.
 * `size` picks the uploaded picture: 'small' (96 px) or 'large' (512 px).
 */
export function avatarSource(profile, size = 'small') {
  const p = profile || {};
  if (p.deleted) return { kind: 'deleted', url: null, frame: null };
  const frame = p.avatar_frame ? framePath(p.avatar_frame) : null;
  // A chosen preset replaces an uploaded picture (the server then gives the preset's
  // public address as `avatar` too): a plain <img>, no token, no blob.
  if (p.avatar_preset) return { kind: 'preset', url: presetPath(p.avatar_preset), frame };
  if (p.avatar && (p.avatar.small || p.avatar.large)) {
    const url = size === 'large' ? p.avatar.large || p.avatar.small : p.avatar.small || p.avatar.large;
    return { kind: PUBLIC_PICTURE.test(url) ? 'preset' : 'upload', url, frame };
  }
  // A server without `avatar` (before issue 14) names an uploaded file in avatar_url.
  if (!('avatar' in p) && typeof p.avatar_url === 'string' && p.avatar_url.startsWith('/')) {
    return { kind: 'upload', url: p.avatar_url, frame };
  }
  return { kind: 'initials', url: null, frame };
}

/** Blob URLs of uploaded avatars by their (versioned) URL, fetched once per session. */
export class AvatarCache {
  constructor({
    fetchBlob,
    createObjectURL = (b) => URL.createObjectURL(b),
    revokeObjectURL = (u) => URL.revokeObjectURL(u),
  }) {
    this.fetchBlob = fetchBlob; // async (url) -> Blob, with the token
    this.createObjectURL = createObjectURL;
    this.revokeObjectURL = revokeObjectURL;
    this.urls = new Map(); // url -> blob URL, or null when the server refused it
    this.pending = new Map(); // url -> Promise
  }

  /** The blob URL of `url` if it is here already (null if not, or if it was refused). */
  get(url) {
    return this.urls.get(url) ?? null;
  }

  has(url) {
    return this.urls.has(url);
  }

  /**
   * Resolves to the blob URL of `url`, fetching it at most once at a time. A refusal
   * (403, 404: hidden by privacy, gone) is remembered as null for the session, since that
   * very version will not change its mind; a network failure is not, so it is tried again.
   */
  load(url) {
    if (this.urls.has(url)) return Promise.resolve(this.urls.get(url));
    let p = this.pending.get(url);
    if (!p) {
      p = (async () => {
        try {
          const blob = await this.fetchBlob(url);
          const objectUrl = this.createObjectURL(blob);
          this.urls.set(url, objectUrl);
          return objectUrl;
        } catch (err) {
          if (!(err instanceof ApiError) || !err.isNetwork) this.urls.set(url, null);
          return null;
        } finally {
          this.pending.delete(url);
        }
      })();
      this.pending.set(url, p);
    }
    return p;
  }

  /** Frees every blob (signed out). */
  clear() {
    for (const u of this.urls.values()) if (u) this.revokeObjectURL(u);
    this.urls.clear();
  }
}

// The arithmetic of the square avatar crop: an image of `width`×`height` pixels shown in a
// square viewport of `view` pixels, scaled to cover it at zoom 1 and up to `MAX_ZOOM` times
// that, moved by dragging. Offsets are the image's top-left corner in viewport pixels; the
// image always covers the whole viewport, so the crop never has empty corners.

export const MAX_ZOOM = 4;

/** The scale at which the image just covers the viewport (zoom 1). */
export function coverScale(width, height, view) {
  return view / Math.min(width, height);
}

/** A crop state: the image centred at zoom 1. */
export function initialCrop(width, height, view) {
  const scale = coverScale(width, height, view);
  return clampCrop({ width, height, view, zoom: 1, x: (view - width * scale) / 2, y: (view - height * scale) / 2 });
}

/** The state with zoom in [1, MAX_ZOOM] and the offsets moved so the image covers the view. */
export function clampCrop(state) {
  const { width, height, view } = state;
  const zoom = Math.min(MAX_ZOOM, Math.max(1, Number(state.zoom) || 1));
  const scale = coverScale(width, height, view) * zoom;
  const clamp = (v, size) => Math.min(0, Math.max(view - size * scale, v));
  return { width, height, view, zoom, x: clamp(state.x, width), y: clamp(state.y, height), scale };
}

/** Moved by a drag of (dx, dy) viewport pixels. */
export function dragCrop(state, dx, dy) {
  return clampCrop({ ...state, x: state.x + dx, y: state.y + dy });
}

/** Zoomed to `zoom`, keeping the image point under viewport point (cx, cy) where it is. */
export function zoomCrop(state, zoom, cx = state.view / 2, cy = state.view / 2) {
  const before = clampCrop(state);
  const after = clampCrop({ ...before, zoom });
  const k = after.scale / before.scale;
  return clampCrop({ ...after, x: cx - (cx - before.x) * k, y: cy - (cy - before.y) * k });
}

/** The square of the source image the viewport shows: {sx, sy, size} in image pixels. */
export function cropRect(state) {
  const s = clampCrop(state);
  const size = Math.min(s.view / s.scale, s.width, s.height);
  const fit = (v, dim) => Math.min(Math.max(0, v), dim - size);
  return { sx: fit(-s.x / s.scale, s.width), sy: fit(-s.y / s.scale, s.height), size };
}

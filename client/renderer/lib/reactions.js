// Reactions on the client: how frames and REST answers fold into a message's `reactions`,
// the quick set, and what the picker remembers (recent emoji, the chosen skin tone).
//
// REST answers carry `reactions: [{emoji, count, me}]`. Frames carry none in their messages
// (keep what we have), and `message_reactions` carries the counts without `me`: the same
// bytes go to every member, so `me` is derived here from the frame's `user_id`.

/** The six reactions offered at a hover, in this order. */
export const QUICK_REACTIONS = Object.freeze(['👍', '❤️', '😂', '😮', '😢', '🎉']);

const RECENT_KEY = 'messenger.reactions.recent';
const TONE_KEY = 'messenger.reactions.tone';
const RECENT_MAX = 24;

/** A message from a frame, with the reactions we had (none once it is deleted). */
export function keepReactions(old, incoming) {
  if (incoming.deleted) return { ...incoming, reactions: [] };
  if (Array.isArray(incoming.reactions)) return incoming;
  return { ...incoming, reactions: old?.reactions || [] };
}

/**
 * The message after a `message_reactions` frame: its counts as the frame says, `me` kept
 * from what we knew, but for the emoji of the frame when it is I who reacted (on this
 * device or another).
 */
export function applyReactionsFrame(message, data, meId) {
  const before = new Map((message.reactions || []).map((r) => [r.emoji, r.me === true]));
  const reactions = (data.reactions || []).map((r) => ({
    emoji: r.emoji,
    count: r.count,
    me: data.user_id === meId && r.emoji === data.emoji ? data.added : before.get(r.emoji) === true,
  }));
  return { ...message, reactions };
}

/** The message as it will be once my reaction with `emoji` is added or taken back. */
export function toggledLocally(message, emoji, add) {
  const list = (message.reactions || []).map((r) => ({ ...r }));
  const found = list.find((r) => r.emoji === emoji);
  if (add && !found) list.push({ emoji, count: 1, me: true });
  else if (add && !found.me) Object.assign(found, { count: found.count + 1, me: true });
  else if (!add && found?.me) Object.assign(found, { count: found.count - 1, me: false });
  return { ...message, reactions: list.filter((r) => r.count > 0) };
}

function storage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null;
  }
}

/** Emoji I reacted with lately, most recent first. */
export function recentEmoji() {
  try {
    const list = JSON.parse(storage()?.getItem(RECENT_KEY) || '[]');
    return Array.isArray(list) ? list.filter((e) => typeof e === 'string').slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

export function rememberEmoji(emoji) {
  const list = [emoji, ...recentEmoji().filter((e) => e !== emoji)].slice(0, RECENT_MAX);
  storage()?.setItem(RECENT_KEY, JSON.stringify(list));
}

/** The skin tone chosen in the picker: 0 (none, the yellow default) to 5 (dark). */
export function chosenTone() {
  const tone = Number(storage()?.getItem(TONE_KEY) || 0);
  return Number.isInteger(tone) && tone >= 0 && tone <= 5 ? tone : 0;
}

export function chooseTone(tone) {
  storage()?.setItem(TONE_KEY, String(tone));
}

/** An entry of the catalogue ([emoji, en, ru, tones]) in the given tone, where it has one. */
export function inTone(entry, tone) {
  const tones = entry[3];
  return tone > 0 && tones ? tones[tone - 1] : entry[0];
}

/** Catalogue entries whose name (in either language) has every word of `query`. */
export function searchEmoji(catalogue, query, limit = 200) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return catalogue.slice(0, limit);
  const found = [];
  for (const entry of catalogue) {
    const names = `${entry[1]} ${entry[2]}`.toLowerCase();
    if (words.every((w) => names.includes(w))) {
      found.push(entry);
      if (found.length >= limit) break;
    }
  }
  return found;
}

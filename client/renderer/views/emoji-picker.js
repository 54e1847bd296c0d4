// The emoji picker: search by name (English or Russian), recently used, skin tones. Its
// catalogue (lib/emoji-data.js) is generated from the server's emoji set, so whatever it
// offers the server accepts; it is loaded on first open, not with the app.

import { h } from './dom.js';
import { chooseTone, chosenTone, inTone, recentEmoji, searchEmoji } from '../lib/reactions.js';

const TONE_SWATCHES = ['✋', '✋🏻', '✋🏼', '✋🏽', '✋🏾', '✋🏿'];
const TONE_NAMES = ['default', 'light', 'medium_light', 'medium', 'medium_dark', 'dark'];

export function createEmojiPicker(app) {
  const t = app.t;
  let catalogue = null;
  let panel = null;
  let opener = null; // what had the focus before the picker took it (issue 17)

  async function load() {
    if (!catalogue) catalogue = (await import('../lib/emoji-data.js')).EMOJI;
    return catalogue;
  }

  function close() {
    // The focus goes back where it was, unless it has moved on (a click elsewhere).
    const hadFocus = !!panel?.contains(document.activeElement);
    panel?.remove();
    panel = null;
    if (hadFocus && opener?.isConnected) opener.focus();
    opener = null;
  }

  document.addEventListener('pointerdown', (e) => {
    if (panel && !panel.contains(e.target)) close();
  });

  function emojiButton(emoji, name, pick) {
    return h('button', { type: 'button', class: 'emoji-cell', title: name, 'aria-label': name, text: emoji, dataset: { emoji }, onclick: () => pick(emoji) });
  }

  /** Opens the picker next to `anchor`; `onPick(emoji)` gets the chosen emoji. */
  async function open(anchor, onPick) {
    close();
    opener = document.activeElement;
    const all = await load();
    const byEmoji = new Map(all.map((e) => [e[0], e]));
    const nameOf = (entry) => (app.i18n.lang === 'ru' ? entry[2] : entry[1]);
    let tone = chosenTone();
    const pick = (emoji) => {
      close();
      onPick(emoji);
    };
    const search = h('input', { type: 'search', class: 'emoji-search', placeholder: t('reactions.search'), 'aria-label': t('reactions.search') });
    const grid = h('div', { class: 'emoji-grid-wrap' });
    const tones = h('div', { class: 'emoji-tones', role: 'radiogroup', 'aria-label': t('reactions.skin_tone') });

    function cells(entries) {
      return h('div', { class: 'emoji-grid' }, ...entries.map((e) => emojiButton(inTone(e, tone), nameOf(e), pick)));
    }

    function draw() {
      grid.textContent = '';
      const query = search.value.trim();
      if (query) {
        const found = searchEmoji(all, query);
        grid.append(found.length ? cells(found) : h('div', { class: 'muted small emoji-none', text: t('reactions.none') }));
        return;
      }
      // Recent ones as they were used (a toned one stays toned).
      const recent = recentEmoji().filter((e) => byEmoji.has(e) || all.some((x) => x[3]?.includes(e)));
      if (recent.length) {
        grid.append(h('div', { class: 'emoji-section small muted', text: t('reactions.recent') }));
        grid.append(h('div', { class: 'emoji-grid' }, ...recent.map((e) => emojiButton(e, nameOf(byEmoji.get(e) || [e, e, e]), pick))));
      }
      grid.append(h('div', { class: 'emoji-section small muted', text: t('reactions.all') }), cells(all));
    }

    function drawTones() {
      tones.textContent = '';
      TONE_SWATCHES.forEach((swatch, index) => {
        tones.append(
          h('button', {
            type: 'button',
            class: `emoji-tone${index === tone ? ' chosen' : ''}`,
            role: 'radio',
            'aria-checked': index === tone ? 'true' : 'false',
            title: t(`reactions.tone_${TONE_NAMES[index]}`),
            'aria-label': t(`reactions.tone_${TONE_NAMES[index]}`),
            dataset: { tone: String(index) },
            text: swatch,
            onclick: () => {
              tone = index;
              chooseTone(index);
              drawTones();
              draw();
            },
          }),
        );
      });
    }

    search.addEventListener('input', draw);
    search.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault(); // used up: the info panel behind does not close as well
        close();
      }
      if (e.key === 'Enter') grid.querySelector('.emoji-cell')?.click();
    });
    panel = h('div', { class: 'emoji-picker', role: 'dialog', 'aria-label': t('reactions.picker') }, h('div', { class: 'emoji-picker-head' }, search, tones), grid);
    drawTones();
    draw();
    document.body.append(panel);
    const box = anchor.getBoundingClientRect();
    const left = Math.max(8, Math.min(box.left, window.innerWidth - panel.offsetWidth - 8));
    const top = Math.max(8, Math.min(box.top - panel.offsetHeight - 6, window.innerHeight - panel.offsetHeight - 8));
    panel.style.cssText = `left:${left}px;top:${top}px`;
    search.focus();
  }

  return { open, close };
}

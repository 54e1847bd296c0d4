// My profile: display name, username, bio and birthdate (PATCH /users/me with what changed),
// the avatar (upload with a square crop, remove, or a preset picture) and its frame. Every
// answer about me goes through the store as a `profile_updated`, as the socket's would.

import { h } from './dom.js';
import { openModal } from './modals.js';
import { userAvatar } from './common.js';
import { avatarCropper, cropProblem } from './avatar-crop.js';
import { publicUrl } from './avatar.js';
import { ApiError } from '../lib/api.js';
import { framePath, presetPath } from '../lib/avatars.js';
import { ErrorCode } from '../lib/errorcodes.js';
import { BIO_MAX, DISPLAY_NAME_MAX, profileChanges, validateProfile } from '../lib/profile.js';

export function createMyProfile(app) {
  const t = app.t;
  let screen = null;

  /** Takes an answer about me (my account), or reads it when the answer has none. */
  async function applyMe(answer) {
    const { store, api } = app;
    if (!store) return;
    const user = answer?.id === store.me?.id ? answer : answer?.user?.id === store.me?.id ? answer.user : await api.me();
    store.apply({ type: 'profile_updated', data: { user } });
    api.tokens.setUser(store.me);
  }

  function field(label, input, name, hint) {
    return h('label', { class: 'field', dataset: { for: name } }, h('span', { text: label }), input, hint ? h('small', { class: 'hint', text: hint }) : null);
  }

  function open() {
    const { store } = app;
    if (!store?.me) return;
    const me = store.me;
    const inputs = {
      display_name: h('input', { name: 'display_name', id: 'profile-display-name', maxlength: String(DISPLAY_NAME_MAX), autocomplete: 'name', value: me.display_name || '' }),
      username: h('input', { name: 'username', id: 'profile-username', maxlength: '32', autocomplete: 'username', value: me.username || '' }),
      bio: h('textarea', { name: 'bio', id: 'profile-bio', rows: '3', maxlength: String(BIO_MAX) }),
      birthdate: h('input', { name: 'birthdate', id: 'profile-birthdate', type: 'date', max: new Date().toISOString().slice(0, 10), value: me.birthdate || '' }),
    };
    inputs.bio.value = me.bio || '';
    const fieldErrors = {
      username: h('small', { class: 'field-error', id: 'profile-username-error', role: 'alert', hidden: true }),
    };
    const error = h('div', { class: 'form-error', id: 'profile-error', role: 'alert', hidden: true });
    const saved = h('p', { class: 'form-ok', id: 'profile-saved', role: 'status', hidden: true, text: t('profile.saved') });
    const submit = h('button', { type: 'submit', class: 'btn primary', id: 'profile-save', text: t('profile.save') });
    const clearDate = h('button', {
      type: 'button',
      class: 'btn',
      id: 'profile-birthdate-clear',
      text: t('profile.birthdate_clear'),
      onclick: () => {
        inputs.birthdate.value = '';
      },
    });

    function showError(text, name = null) {
      for (const el of Object.values(inputs)) el.classList.remove('invalid');
      for (const el of Object.values(fieldErrors)) el.hidden = true;
      error.hidden = true;
      if (!text) return;
      if (name && inputs[name]) {
        inputs[name].classList.add('invalid');
        inputs[name].focus();
      }
      if (name && fieldErrors[name]) {
        fieldErrors[name].textContent = text;
        fieldErrors[name].hidden = false;
      } else {
        error.textContent = text;
        error.hidden = false;
      }
    }

    async function onsubmit(ev) {
      ev.preventDefault();
      saved.hidden = true;
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value]));
      const problem = validateProfile(values);
      if (problem) {
        showError(t(`validation.${problem.key}`), problem.field);
        return;
      }
      showError('');
      const patch = profileChanges(app.store.me, values);
      if (!Object.keys(patch).length) {
        saved.hidden = false;
        return;
      }
      submit.disabled = true;
      try {
        await applyMe(await app.api.updateMe(patch));
        saved.hidden = false;
      } catch (err) {
        // A taken username is said next to the username (409 username_taken).
        if (err instanceof ApiError && err.code === ErrorCode.USERNAME_TAKEN) showError(app.i18n.error(err.code), 'username');
        else showError(app.format.error(err), err?.body?.field || null);
      } finally {
        submit.disabled = false;
      }
    }

    const avatarBox = h('div', { class: 'profile-avatar-box', id: 'profile-avatar-box' });
    const presets = h('div', { class: 'preset-grid', id: 'profile-presets' });
    const frames = h('div', { class: 'preset-grid frames', id: 'profile-frames' });
    const form = h(
      'form',
      { id: 'profile-form', novalidate: true, onsubmit },
      field(t('auth.display_name'), inputs.display_name, 'display_name'),
      h('label', { class: 'field', dataset: { for: 'username' } }, h('span', { text: t('auth.username') }), inputs.username, fieldErrors.username, h('small', { class: 'hint', text: t('auth.username_hint') })),
      field(t('info.bio'), inputs.bio, 'bio'),
      h('div', { class: 'field', dataset: { for: 'birthdate' } }, h('label', { for: 'profile-birthdate', text: t('profile.birthdate') }), h('div', { class: 'inline-row' }, inputs.birthdate, clearDate)),
      error,
      saved,
      h('div', { class: 'modal-actions' }, submit),
    );
    const body = h(
      'div',
      { class: 'modal-body profile-screen', id: 'my-profile' },
      avatarBox,
      h('section', { class: 'settings-section' }, h('h3', { text: t('profile.presets') }), presets),
      h('section', { class: 'settings-section' }, h('h3', { text: t('profile.frames') }), frames),
      h('section', { class: 'settings-section' }, form),
    );
    screen = { body, avatarBox, presets, frames, cropping: null, busy: false, avatarError: null, presetList: null, frameList: null, close: null };
    screen.close = openModal(app, t('profile.my_title'), body, {
      onClose: () => {
        if (screen?.body === body) screen = null;
      },
    });
    render();
    loadChoices(screen);
  }

  async function loadChoices(s) {
    // Both lists are paged; the server ships a handful of each, read to the end.
    const list = async (fetchPage, pathOf) => {
      try {
        const items = await app.api.allPages(fetchPage);
        return { items: items.map((i) => ({ id: i.id, url: i.url || pathOf(i.id), title: i.name || i.title || '' })) };
      } catch (err) {
        return { error: err?.status === 404 ? t('profile.choices_unavailable') : app.format.error(err) };
      }
    };
    const [presets, frames] = await Promise.all([list((cursor) => app.api.presetAvatars({ cursor }), presetPath), list((cursor) => app.api.avatarFrames({ cursor }), framePath)]);
    s.presetList = presets;
    s.frameList = frames;
    render();
  }

  /** Runs a change of my avatar or frame; the answer is my account. */
  const change = (fn) => async () => {
    const s = screen;
    if (!s || s.busy) return;
    s.busy = true;
    s.avatarError = null;
    render();
    try {
      await applyMe(await fn());
    } catch (err) {
      s.avatarError = app.format.error(err);
    } finally {
      s.busy = false;
      render();
    }
  };

  function pickFile() {
    const input = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp,image/gif', hidden: true });
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.remove();
      if (!file || !screen) return;
      const problem = cropProblem(file);
      if (problem) {
        screen.avatarError = t(problem);
        render();
        return;
      }
      startCrop(file);
    });
    document.body.append(input);
    input.click();
  }

  function startCrop(file) {
    const s = screen;
    if (!s) return;
    s.avatarError = null;
    s.cropping = avatarCropper(app, file, {
      onDone: (blob, name) => {
        s.cropping = null;
        change(() => app.api.uploadAvatar(blob, name))();
      },
      onCancel: () => {
        s.cropping = null;
        render();
      },
    });
    render();
  }

  function renderAvatarBox(s, me) {
    if (s.cropping) {
      if (s.avatarBox.firstChild !== s.cropping) s.avatarBox.replaceChildren(s.cropping);
      return;
    }
    const hasUpload = !!(me.avatar || me.avatar_preset || (!('avatar' in me) && me.avatar_url));
    s.avatarBox.replaceChildren(
      ...[
        h('div', { class: 'info-hero' }, userAvatar(app, me, 'large', 'large'), h('div', { class: 'info-title', text: me.display_name || me.username })),
        h(
          'div',
          { class: 'profile-actions' },
          h('button', { type: 'button', class: 'btn primary', id: 'profile-avatar-upload', disabled: s.busy, text: t('profile.avatar_upload'), onclick: pickFile }),
          hasUpload
            ? h('button', { type: 'button', class: 'btn danger', id: 'profile-avatar-remove', disabled: s.busy, text: t('profile.avatar_remove'), onclick: change(() => app.api.removeAvatar()) })
            : null,
        ),
        s.busy ? h('div', { class: 'muted small center', text: t('profile.avatar_saving') }) : null,
        s.avatarError ? h('div', { class: 'form-error', id: 'profile-avatar-error', role: 'alert', text: s.avatarError }) : null,
      ].filter(Boolean),
    );
  }

  function choiceGrid(box, result, selected, items, onPick) {
    if (!result) {
      box.replaceChildren(h('div', { class: 'muted small', text: t('chat.loading') }));
      return;
    }
    if (result.error) {
      box.replaceChildren(h('div', { class: 'muted small', text: result.error }));
      return;
    }
    box.replaceChildren(
      ...items.map((item) =>
        h(
          'button',
          {
            type: 'button',
            class: `preset${item.id === selected ? ' selected' : ''}`,
            dataset: { id: item.id === null ? '' : String(item.id) },
            title: item.title || '',
            'aria-pressed': String(item.id === selected),
            disabled: screen?.busy,
            onclick: () => onPick(item.id),
          },
          item.url ? h('img', { src: publicUrl(app, item.url), alt: item.title || String(item.id) }) : h('span', { class: 'small muted', text: item.title }),
        ),
      ),
    );
  }

  function render() {
    const s = screen;
    if (!s || !s.body.isConnected || !app.store?.me) return;
    const me = app.store.me;
    renderAvatarBox(s, me);
    choiceGrid(s.presets, s.presetList, me.avatar_preset ?? null, s.presetList?.items || [], (id) => change(() => app.api.setPresetAvatar(id))());
    const frameItems = [{ id: null, url: null, title: t('profile.no_frame') }, ...(s.frameList?.items || [])];
    choiceGrid(s.frames, s.frameList, me.avatar_frame ?? null, frameItems, (id) => change(() => app.api.setAvatarFrame(id))());
  }

  return { open, render };
}

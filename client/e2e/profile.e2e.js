// My profile in the browser: the name, username, bio and birthdate are saved and reach a
// chat-mate at once; a taken username is said next to the field; an avatar picked, cropped
// and uploaded shows in the other user's browser as an image fetched with their token; a
// preset picture and a frame reach them too; a removed avatar leaves the initials.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newUserPage, register, openDialogWith, send, bubbles, eventually, rest, shot, serverAndBrowser, chatItem, tokenOf, pngFile } from './harness.js';

const stamp = Date.now().toString(36).slice(-5);
const ANNA = { username: `anna_${stamp}`, display_name: 'Анна' };
const BORIS = { username: `boris_${stamp}`, display_name: 'Борис' };

/** The `src` of the picture an avatar element shows (null while it shows initials). */
function avatarImage(locator) {
  return locator.locator('img.avatar-image').getAttribute('src', { timeout: 1000 }).catch(() => null);
}

describe('my profile in the browser', { timeout: 180000 }, () => {
  const ctx = serverAndBrowser();

  test('the profile is saved, a taken username is refused in place, and avatars, presets and frames reach a chat-mate', async () => {
    const anna = await newUserPage(ctx.browser, ctx.server.url);
    await register(anna, ANNA);
    await anna.waitForSelector('#main-screen:not([hidden])');
    const boris = await newUserPage(ctx.browser, ctx.server.url);
    await register(boris, BORIS);
    await boris.waitForSelector('#main-screen:not([hidden])');
    // Boris writes to Anna: they share a chat, so her profile changes reach him.
    await openDialogWith(boris, ANNA.username);
    await send(boris, 'Привет!');
    await bubbles(boris, 'Привет!').first().waitFor();
    await chatItem(anna, BORIS.display_name).waitFor();

    // --- name, username, bio, birthdate ---------------------------------------------------
    await anna.click('#me-avatar');
    await anna.waitForSelector('#profile-form');
    const newUsername = `anya_${stamp}`;
    await anna.fill('#profile-display-name', 'Анна Каренина');
    await anna.fill('#profile-username', newUsername);
    await anna.fill('#profile-bio', 'Люблю поезда');
    await anna.fill('#profile-birthdate', '1990-05-17');
    await anna.click('#profile-save');
    await anna.waitForSelector('#profile-saved:not([hidden])');
    await eventually(async () => (await anna.textContent('#me-name')) === 'Анна Каренина', { message: 'my name in the sidebar' });
    assert.equal(await anna.textContent('#me-username'), `@${newUsername}`);
    const annaToken = await tokenOf(anna);
    const me = await rest(ctx.server, annaToken, 'GET', '/users/me');
    assert.deepEqual([me.display_name, me.username, me.bio, me.birthdate], ['Анна Каренина', newUsername, 'Люблю поезда', '1990-05-17']);
    // Boris sees the new name at once (profile_updated), in the list and the header.
    await chatItem(boris, 'Анна Каренина').waitFor();
    await eventually(async () => (await boris.textContent('#chat-title')) === 'Анна Каренина', { message: 'the new name in his header' });

    // After a reload the form shows what was saved.
    await anna.reload();
    await anna.waitForSelector('#main-screen:not([hidden])');
    await anna.click('#me-avatar');
    await anna.waitForSelector('#profile-form');
    assert.equal(await anna.inputValue('#profile-username'), newUsername);
    assert.equal(await anna.inputValue('#profile-bio'), 'Люблю поезда');
    assert.equal(await anna.inputValue('#profile-birthdate'), '1990-05-17');

    // A username someone has is refused next to the field, in the user's language.
    await anna.fill('#profile-username', BORIS.username);
    await anna.click('#profile-save');
    await eventually(async () => (await anna.textContent('#profile-username-error')) === 'Это имя пользователя уже занято', {
      message: 'username_taken next to the username',
    });
    assert.ok(await anna.locator('#profile-username.invalid').count(), 'the username is marked');
    assert.ok(await anna.locator('#profile-username-error:not([hidden])').count());
    await shot(anna, 'ru-40-profile-username-taken');
    assert.equal((await rest(ctx.server, annaToken, 'GET', '/users/me')).username, newUsername, 'nothing changed');
    await anna.fill('#profile-username', newUsername);

    // --- an uploaded avatar, cropped ------------------------------------------------------
    const chooser = anna.waitForEvent('filechooser');
    await anna.click('#profile-avatar-upload');
    await (await chooser).setFiles(await pngFile(anna, 'me.png', 640, 400));
    await anna.waitForSelector('#avatar-crop #crop-done:not([disabled])');
    await anna.fill('#crop-zoom', '1.5');
    await shot(anna, 'ru-41-avatar-crop');
    await anna.click('#crop-done');
    const mine = anna.locator('#profile-avatar-box .avatar');
    await eventually(async () => (await avatarImage(mine))?.startsWith('blob:'), { message: 'my new avatar in my profile' });
    await eventually(async () => (await avatarImage(anna.locator('#me-avatar')))?.startsWith('blob:'), { message: 'my avatar in the sidebar' });
    const uploaded = await rest(ctx.server, annaToken, 'GET', '/users/me');
    assert.match(uploaded.avatar.small, new RegExp(`^/api/v1/users/${uploaded.id}/avatar\\?size=96&v=`));
    await shot(anna, 'ru-42-profile-avatar');

    // Boris's browser fetched it with his token: an <img> of a blob in his list and header.
    await eventually(async () => (await avatarImage(chatItem(boris, 'Анна Каренина').locator('.avatar')))?.startsWith('blob:'), {
      message: 'her avatar in his chat list',
    });
    await eventually(async () => (await avatarImage(boris.locator('#chat-avatar')))?.startsWith('blob:'), { message: 'her avatar in his header' });
    const drawn = await boris.$eval('#chat-avatar img.avatar-image', (img) => img.complete && img.naturalWidth);
    assert.equal(drawn, 96, 'the 96 px picture, decoded');
    await shot(boris, 'ru-43-avatar-other-side');

    // --- a preset picture and a frame -----------------------------------------------------
    await anna.waitForSelector('#profile-presets .preset');
    const presetId = await anna.getAttribute('#profile-presets .preset >> nth=2', 'data-id');
    await anna.click(`#profile-presets .preset[data-id="${presetId}"]`);
    await anna.waitForSelector(`#profile-presets .preset.selected[data-id="${presetId}"]`);
    const frameId = await anna.getAttribute('#profile-frames .preset[data-id]:not([data-id=""]) >> nth=1', 'data-id');
    await anna.click(`#profile-frames .preset[data-id="${frameId}"]`);
    await anna.waitForSelector(`#profile-frames .preset.selected[data-id="${frameId}"]`);
    const withPreset = await rest(ctx.server, annaToken, 'GET', '/users/me');
    assert.deepEqual([withPreset.avatar_preset, withPreset.avatar_frame], [presetId, frameId]);
    await shot(anna, 'ru-44-profile-preset-frame');

    const hisHeader = boris.locator('#chat-avatar');
    await eventually(async () => (await avatarImage(hisHeader))?.endsWith(`/api/v1/avatars/presets/${presetId}.svg`), { message: 'the preset on his side' });
    await eventually(async () => (await hisHeader.locator('img.avatar-frame').getAttribute('src'))?.endsWith(`/api/v1/avatar-frames/${frameId}.svg`), {
      message: 'the frame on his side',
    });
    const row = chatItem(boris, 'Анна Каренина').locator('.avatar');
    assert.ok((await avatarImage(row))?.endsWith(`${presetId}.svg`), 'the preset in his chat list');
    assert.ok(await row.locator(`img.avatar-frame[src$="${frameId}.svg"]`).count(), 'the frame in his chat list');
    // The pictures are public files that load (the frame image decodes).
    await eventually(() => boris.$eval('#chat-avatar img.avatar-frame', (img) => img.complete && img.naturalWidth > 0), { message: 'the frame loads' });
    await shot(boris, 'ru-45-preset-frame-other-side');

    // --- removing the avatar: initials again, the frame stays ------------------------------
    await anna.click('#profile-avatar-remove');
    await eventually(async () => (await avatarImage(mine)) === null && !(await anna.locator('#profile-avatar-remove').count()), {
      message: 'no avatar in my profile',
    });
    await eventually(async () => (await avatarImage(hisHeader)) === null, { message: 'no avatar on his side' });
    assert.equal(await hisHeader.locator('.avatar-initials').textContent(), 'АК');
    assert.ok(await hisHeader.locator('img.avatar-frame').count(), 'the frame is still drawn');
    const removed = await rest(ctx.server, annaToken, 'GET', '/users/me');
    assert.deepEqual([removed.avatar, removed.avatar_preset, removed.avatar_frame], [null, null, frameId]);

    // Taking the frame off.
    await anna.click('#profile-frames .preset[data-id=""]');
    await eventually(async () => !(await hisHeader.locator('img.avatar-frame').count()), { message: 'the frame is off on his side' });

    assert.deepEqual(anna.errors, []);
    assert.deepEqual(boris.errors, []);
  });
});

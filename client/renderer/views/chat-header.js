// The open chat's header (title, presence or who is typing) and the typing line.

import { $ } from './dom.js';
import { fillAvatarView, chatTitle, chatAvatarInfo, isOnline, typingText } from './common.js';

export function createChatHeader(app) {
  const t = app.t;

  function render() {
    const { store } = app;
    const chat = store.chats.get(store.openChatId);
    $('#chat-view').hidden = !chat;
    $('#chat-empty').hidden = !!chat;
    $('#main-screen').classList.toggle('has-chat', !!chat);
    const typingLine = $('#typing');
    typingLine.textContent = chat ? typingText(app, chat.id) : '';
    if (!chat) return;
    const info = chatAvatarInfo(app, chat);
    fillAvatarView(app, $('#chat-avatar'), info);
    $('#chat-title').textContent = chatTitle(app, chat);
    const sub = $('#chat-subtitle');
    const typing = typingText(app, chat.id);
    sub.classList.toggle('accent', !!typing);
    if (typing) sub.textContent = typing;
    else if (chat.kind === 'direct') {
      const peer = store.peer(chat);
      const online = peer && isOnline(app, peer.id);
      sub.textContent = online ? t('presence.online') : app.format.lastSeen(peer?.last_seen_at);
      sub.classList.toggle('accent', !!online);
    } else {
      const online = chat.members.filter((m) => m.user_id !== store.me.id && isOnline(app, m.user_id)).length;
      sub.textContent =
        t('chat.members', { count: chat.members.length }) + (online ? `, ${t('chat.online_count', { count: online })}` : '');
    }
  }

  $('#btn-back').addEventListener('click', () => app.closeChat());
  $('#btn-info').addEventListener('click', () => app.views.chatInfo.toggle());
  // A dialog's name and avatar open the other user's profile; a group's show its info.
  function openHeadTarget() {
    const { store } = app;
    const chat = store?.chats.get(store.openChatId);
    const peer = chat?.kind === 'direct' ? store.peer(chat) : null;
    if (peer) app.views.userProfile.open(peer.id);
    else app.views.chatInfo.toggle();
  }
  $('#chat-head-text').addEventListener('click', openHeadTarget);
  $('#chat-avatar').addEventListener('click', openHeadTarget);

  return { render };
}

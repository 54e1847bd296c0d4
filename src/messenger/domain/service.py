"""``Messenger``: every use case, built from one set of ports.

The one object entrypoints and embedding services hold; each attribute is a use case
named as the user says it (``await messenger.post_message(...)``).
"""

from __future__ import annotations

from messenger.domain import usecases as uc
from messenger.domain.ports import EventStream, PresenceRegistry


class Messenger:
    """The application service facade over the use cases.

    ``events`` is where delivery (the socket hub) hears of what was published, encoded for
    clients: the notifier's receiving side, which the composition root supplies.
    """

    # One line per user action: the list is as long as the product is wide.
    def __init__(  # noqa: PLR0915
        self,
        ports: uc.Ports,
        events: EventStream | None = None,
        presence: PresenceRegistry | None = None,
    ) -> None:
        self.ports = ports
        self.events = events
        # Who is online across processes, for delivery (the socket hub); None: this process
        # alone counts (one process, or an embedder's own choice).
        self.presence = presence
        self.register = uc.Register(ports)
        self.authenticate = uc.Authenticate(ports)
        self.refresh_session = uc.RefreshSession(ports)
        self.authorize = uc.Authorize(ports)
        self.log_out = uc.LogOut(ports)
        self.list_sessions = uc.ListSessions(ports)
        self.revoke_session = uc.RevokeSession(ports)
        self.change_password = uc.ChangePassword(ports)
        self.delete_account = uc.DeleteAccount(ports)
        self.resume_account_deletions = uc.ResumeAccountDeletions(ports)
        self.deactivate_user = uc.DeactivateUser(ports)
        self.reactivate_user = uc.ReactivateUser(ports)
        # A server administrator's (or the shell's) actions; the password reset is the user's.
        self.list_users = uc.ListUsers(ports)
        self.find_user_by_name = uc.FindUserByName(ports)
        self.promote_user = uc.PromoteUser(ports)
        self.demote_user = uc.DemoteUser(ports)
        self.issue_password_reset = uc.IssuePasswordReset(ports)
        self.reset_password = uc.ResetPassword(ports)
        self.get_registration_mode = uc.GetRegistrationMode(ports)
        self.get_server_settings = uc.GetServerSettings(ports)
        self.change_server_settings = uc.ChangeServerSettings(ports)
        self.create_invite = uc.CreateInvite(ports)
        self.list_invites = uc.ListInvites(ports)
        self.get_invite = uc.GetInvite(ports)
        self.revoke_invite = uc.RevokeInvite(ports)
        self.report_message = uc.ReportMessage(ports)
        self.list_reports = uc.ListReports(ports)
        self.resolve_report = uc.ResolveReport(ports)
        self.remove_message = uc.RemoveMessage(ports)
        self.list_audit_log = uc.ListAuditLog(ports)
        self.prune_audit_log = uc.PruneAuditLog(ports)
        self.get_my_account = uc.GetMyAccount(ports)
        self.get_profile = uc.GetProfile(ports)
        self.update_profile = uc.UpdateProfile(ports)
        self.choose_preset_avatar = uc.ChoosePresetAvatar(ports)
        self.choose_avatar_frame = uc.ChooseAvatarFrame(ports)
        self.list_presets = uc.ListPresets(ports)
        self.search_users = uc.SearchUsers(ports)
        self.open_dialog = uc.OpenDialog(ports)
        self.find_dialog = uc.FindDialog(ports)
        self.create_group = uc.CreateGroup(ports)
        self.get_chat = uc.GetChat(ports)
        self.rename_group = uc.RenameGroup(ports)
        self.add_member = uc.AddMember(ports)
        self.remove_member = uc.RemoveMember(ports)
        self.change_role = uc.ChangeRole(ports)
        self.list_chats = uc.ListChats(ports)
        self.post_message = uc.PostMessage(ports)
        self.edit_message = uc.EditMessage(ports)
        self.attach_files_to_message = uc.AttachFilesToMessage(ports)
        self.get_edit_history = uc.GetEditHistory(ports)
        self.delete_message = uc.DeleteMessage(ports)
        self.hide_message = uc.HideMessage(ports)
        self.clear_chat = uc.ClearChat(ports)
        self.read_history = uc.ReadHistory(ports)
        self.pin_message = uc.PinMessage(ports)
        self.unpin_message = uc.UnpinMessage(ports)
        self.list_pins = uc.ListPins(ports)
        self.mark_read = uc.MarkRead(ports)
        self.acknowledge_delivery = uc.AcknowledgeDelivery(ports)
        self.send_typing = uc.SendTyping(ports)
        self.open_chat = uc.OpenChat(ports)
        self.get_changes_since = uc.GetChangesSince(ports)
        self.prune_feed = uc.PruneFeed(ports)
        self.report_presence = uc.ReportPresence(ports)
        self.announce_presence = uc.AnnouncePresence(ports)
        self.list_chat_mates = uc.ListChatMates(ports)
        # The admin console's live figures (issue 16).
        self.show_live_figures = uc.ShowLiveFigures(ports)
        self.list_contacts = uc.ListContacts(ports)
        self.add_contact = uc.AddContact(ports)
        self.rename_contact = uc.RenameContact(ports)
        self.remove_contact = uc.RemoveContact(ports)
        self.block_user = uc.BlockUser(ports)
        self.unblock_user = uc.UnblockUser(ports)
        self.list_blocked_users = uc.ListBlockedUsers(ports)
        self.get_privacy = uc.GetPrivacy(ports)
        self.change_privacy = uc.ChangePrivacy(ports)
        self.upload_file = uc.UploadFile(ports)
        self.open_file = uc.OpenFile(ports)
        self.delete_abandoned_uploads = uc.DeleteAbandonedUploads(ports)
        self.create_theme = uc.CreateTheme(ports)
        self.edit_theme = uc.EditTheme(ports)
        self.delete_theme = uc.DeleteTheme(ports)
        self.list_themes = uc.ListThemes(ports)
        self.get_settings = uc.GetSettings(ports)
        self.change_settings = uc.ChangeSettings(ports)
        self.upload_avatar = uc.UploadAvatar(ports)
        self.set_avatar_from_upload = uc.SetAvatarFromUpload(ports)
        self.remove_avatar = uc.RemoveAvatar(ports)
        self.get_avatar = uc.GetAvatar(ports)
        self.list_chat_media = uc.ListChatMedia(ports)
        self.react_to_message = uc.ReactToMessage(ports)
        self.remove_reaction = uc.RemoveReaction(ports)
        self.list_reactors = uc.ListReactors(ports)
        self.search_messages = uc.SearchMessages(ports)
        self.change_chat_settings = uc.ChangeChatSettings(ports)
        self.reorder_pinned_chats = uc.ReorderPinnedChats(ports)
        self.save_draft = uc.SaveDraft(ports)

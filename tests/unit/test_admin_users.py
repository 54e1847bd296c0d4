"""What an administrator does to accounts: list them, grant and remove the role, and
issue password-reset links (which the user then uses)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import messenger
from messenger.adapters.memory import TickingClock
from messenger.domain.administration import OPERATOR, UserFilter
from messenger.domain.audit import SECURITY_EVENTS, AuditAction
from messenger.domain.errors import (
    AccountDeactivated,
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    PasswordTooCommon,
    ResetLinkInvalid,
)
from messenger.domain.events import SessionsEnded
from messenger.domain.model import Limits
from messenger.domain.service import Messenger
from tests.unit.conftest import Published, store_of

PASSWORD = "password-123"
NEW_PASSWORD = "a brand new passphrase"


async def audit_of(app: Messenger) -> list[tuple[AuditAction, int | None, str | None]]:
    async with app.ports.uow(read_only=True) as uow:
        return [
            (e.action, e.actor_id, e.target_id)
            for e in await uow.audit.page(limit=100)
            if e.action not in SECURITY_EVENTS or e.action is AuditAction.PASSWORD_RESET_USED
        ]


async def people(app: Messenger) -> dict[str, int]:
    """root (the administrator), bob, carol (deactivated), dave (deleted), erin."""
    ids = {}
    for name in ("root", "bob", "carol", "dave", "erin"):
        ids[name] = (
            await app.register(name, PASSWORD, email=f"{name}@corp.example", display_name=name)
        ).user.id
    await app.deactivate_user(ids["root"], ids["carol"])
    claims = await app.authorize((await app.authenticate("dave", PASSWORD)).access_token)
    await app.delete_account(claims, PASSWORD)
    return ids


# --- listing --------------------------------------------------------------------------------


async def test_an_administrator_lists_every_account_by_username_with_filters(
    app: Messenger,
) -> None:
    ids = await people(app)
    root = ids["root"]

    async def names(query: str = "", status: UserFilter | None = None) -> list[str]:
        return [u.username for u in (await app.list_users(root, query, status)).items]

    assert await names() == ["bob", "carol", f"deleted-{ids['dave']}", "erin", "root"]
    assert await names(status=UserFilter.ACTIVE) == ["bob", "erin", "root"]
    assert await names(status=UserFilter.DEACTIVATED) == ["carol"]
    assert await names(status=UserFilter.DELETED) == [f"deleted-{ids['dave']}"]
    assert await names(status=UserFilter.ADMIN) == ["root"]
    # By username, display name or email, whatever the case.
    assert await names("ERIN@corp") == ["erin"]
    assert await names("oo") == ["root"]
    assert await names("account") == [f"deleted-{ids['dave']}"]
    assert await names("corp", UserFilter.ACTIVE) == ["bob", "erin", "root"]


async def test_the_admin_user_list_pages_by_username(app: Messenger) -> None:
    ids = await people(app)
    seen: list[str] = []
    cursor = None
    while True:
        page = await app.list_users(ids["root"], limit=2, cursor=cursor)
        seen += [u.username for u in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen)
    assert len(seen) == 5


async def test_only_administrators_list_accounts(app: Messenger) -> None:
    ids = await people(app)
    with pytest.raises(Forbidden):
        await app.list_users(ids["bob"])
    assert len((await app.list_users(OPERATOR)).items) == 5


# --- the administrator role -------------------------------------------------------------------


async def test_an_administrator_promotes_and_demotes_others_but_not_themself(
    app: Messenger,
) -> None:
    ids = await people(app)
    root, bob = ids["root"], ids["bob"]

    assert (await app.promote_user(root, bob, address="::1")).is_admin
    # bob may act as one at once, and remove root's role but never his own.
    assert not (await app.demote_user(bob, root)).is_admin
    with pytest.raises(Forbidden):
        await app.list_users(root)
    with pytest.raises(Conflict):
        await app.demote_user(bob, bob)
    assert await audit_of(app) == [
        (AuditAction.ADMIN_REVOKED, bob, str(root)),
        (AuditAction.ADMIN_GRANTED, root, str(bob)),
        (AuditAction.USER_DEACTIVATED, root, str(ids["carol"])),
    ]
    # Granting what is held changes and tells nothing.
    await app.promote_user(bob, bob)
    assert len(await audit_of(app)) == 3


async def test_only_administrators_change_roles_of_live_accounts(app: Messenger) -> None:
    ids = await people(app)
    with pytest.raises(Forbidden):
        await app.promote_user(ids["bob"], ids["bob"])
    with pytest.raises(NotFound):
        await app.promote_user(ids["root"], ids["dave"])
    with pytest.raises(NotFound):
        await app.promote_user(ids["root"], 10**9)
    # The operator has no role to lose, and restores one when nobody is left.
    assert (await app.promote_user(OPERATOR, ids["erin"])).is_admin
    assert not (await app.demote_user(OPERATOR, ids["root"])).is_admin


async def test_the_shell_finds_live_accounts_by_name(app: Messenger) -> None:
    ids = await people(app)
    assert (await app.find_user_by_name(OPERATOR, " Bob ")).id == ids["bob"]
    with pytest.raises(NotFound):
        await app.find_user_by_name(OPERATOR, f"deleted-{ids['dave']}")
    with pytest.raises(Forbidden):
        await app.find_user_by_name(ids["bob"], "bob")


# --- password reset -------------------------------------------------------------------------


async def test_a_reset_link_sets_a_new_password_and_ends_every_session(
    app: Messenger, published: Published
) -> None:
    ids = await people(app)
    bob = ids["bob"]
    phone = await app.authenticate("bob", PASSWORD)
    issued = await app.issue_password_reset(ids["root"], bob, address="::1")
    published.clear()

    await app.reset_password(issued.token, NEW_PASSWORD, address="10.0.0.7")

    [ended] = [n.event for n in published.items if isinstance(n.event, SessionsEnded)]
    assert phone.session.id in ended.session_ids
    with pytest.raises(InvalidToken):
        await app.authorize(phone.access_token)
    with pytest.raises(InvalidCredentials):
        await app.authenticate("bob", PASSWORD)
    assert (await app.authenticate("bob", NEW_PASSWORD)).user.id == bob
    # Once only.
    with pytest.raises(ResetLinkInvalid):
        await app.reset_password(issued.token, "yet another passphrase")
    assert [(a, actor) for a, actor, _ in (await audit_of(app))[:2]] == [
        (AuditAction.PASSWORD_RESET_USED, bob),
        (AuditAction.PASSWORD_RESET_ISSUED, ids["root"]),
    ]


async def test_a_reset_link_is_stored_hashed_and_expires() -> None:
    clock = TickingClock()
    app = messenger.in_memory(clock=clock, limits=Limits(password_reset_valid=timedelta(hours=2)))
    ids = await people(app)
    issued = await app.issue_password_reset(OPERATOR, ids["bob"])

    assert issued.token not in store_of(app).password_resets
    clock.advance(timedelta(hours=2))
    with pytest.raises(ResetLinkInvalid) as caught:
        await app.reset_password(issued.token, NEW_PASSWORD)
    assert caught.value.field == "token"


async def test_a_newer_reset_ends_older_links_too(app: Messenger) -> None:
    ids = await people(app)
    older = await app.issue_password_reset(ids["root"], ids["bob"])
    newer = await app.issue_password_reset(ids["root"], ids["bob"])

    await app.reset_password(newer.token, NEW_PASSWORD)

    with pytest.raises(ResetLinkInvalid):
        await app.reset_password(older.token, "yet another passphrase")


async def test_a_reset_checks_the_link_then_the_password_like_registration(
    app: Messenger,
) -> None:
    ids = await people(app)
    with pytest.raises(ResetLinkInvalid):
        await app.reset_password("made-up", "password")
    issued = await app.issue_password_reset(ids["root"], ids["bob"])
    with pytest.raises(PasswordTooCommon):
        await app.reset_password(issued.token, "password")
    # A refused password leaves the link usable.
    await app.reset_password(issued.token, NEW_PASSWORD)


async def test_a_reset_does_not_reactivate_a_deactivated_account(app: Messenger) -> None:
    ids = await people(app)
    issued = await app.issue_password_reset(ids["root"], ids["carol"])

    await app.reset_password(issued.token, NEW_PASSWORD)

    with pytest.raises(AccountDeactivated):
        await app.authenticate("carol", NEW_PASSWORD)
    await app.reactivate_user(ids["root"], ids["carol"])
    assert (await app.authenticate("carol", NEW_PASSWORD)).user.id == ids["carol"]


async def test_only_administrators_issue_reset_links_for_live_accounts(app: Messenger) -> None:
    ids = await people(app)
    with pytest.raises(Forbidden):
        await app.issue_password_reset(ids["bob"], ids["erin"])
    with pytest.raises(NotFound):
        await app.issue_password_reset(ids["root"], ids["dave"])


async def test_a_link_of_an_account_deleted_since_is_invalid(app: Messenger) -> None:
    ids = await people(app)
    issued = await app.issue_password_reset(ids["root"], ids["erin"])
    claims = await app.authorize((await app.authenticate("erin", PASSWORD)).access_token)
    await app.delete_account(claims, PASSWORD)

    with pytest.raises(ResetLinkInvalid):
        await app.reset_password(issued.token, NEW_PASSWORD)

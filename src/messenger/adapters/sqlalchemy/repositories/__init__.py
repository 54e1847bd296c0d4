"""Repositories over SQLAlchemy Core, one module per aggregate, and the caching wrappers.

The SQL repositories get the unit's SqlSession (its ``read`` / ``write`` own the connection,
serialise writers and turn storage trouble into domain errors) and hand out fresh entities.
They know nothing of the cache: cached.py wraps the three it serves.
"""

from messenger.adapters.sqlalchemy.repositories.administration import (
    SqlAlchemyInviteRepository,
    SqlAlchemyPasswordResetRepository,
    SqlAlchemyServerSettings,
)
from messenger.adapters.sqlalchemy.repositories.audit import SqlAlchemyAuditLog
from messenger.adapters.sqlalchemy.repositories.cached import (
    CachedChatPrefsRepository,
    CachedChatRepository,
    CachedMembershipRepository,
    CachedMessageRepository,
)
from messenger.adapters.sqlalchemy.repositories.chat_prefs import SqlAlchemyChatPrefsRepository
from messenger.adapters.sqlalchemy.repositories.chats import SqlAlchemyChatRepository
from messenger.adapters.sqlalchemy.repositories.feed import SqlAlchemyFeedRepository
from messenger.adapters.sqlalchemy.repositories.files import SqlAlchemyFileRepository
from messenger.adapters.sqlalchemy.repositories.members import SqlAlchemyMembershipRepository
from messenger.adapters.sqlalchemy.repositories.messages import SqlAlchemyMessageRepository
from messenger.adapters.sqlalchemy.repositories.pins import SqlAlchemyPinRepository
from messenger.adapters.sqlalchemy.repositories.reactions import SqlAlchemyReactionRepository
from messenger.adapters.sqlalchemy.repositories.relations import (
    SqlAlchemyBlockRepository,
    SqlAlchemyContactRepository,
    SqlAlchemyPrivacyRepository,
)
from messenger.adapters.sqlalchemy.repositories.reports import SqlAlchemyReportRepository
from messenger.adapters.sqlalchemy.repositories.search import SqlAlchemySearchIndex
from messenger.adapters.sqlalchemy.repositories.sessions import SqlAlchemySessionRepository
from messenger.adapters.sqlalchemy.repositories.themes import (
    SqlAlchemySettingsRepository,
    SqlAlchemyThemeRepository,
)
from messenger.adapters.sqlalchemy.repositories.users import SqlAlchemyUserRepository

__all__ = [
    "CachedChatPrefsRepository",
    "CachedChatRepository",
    "CachedMembershipRepository",
    "CachedMessageRepository",
    "SqlAlchemyAuditLog",
    "SqlAlchemyBlockRepository",
    "SqlAlchemyChatPrefsRepository",
    "SqlAlchemyChatRepository",
    "SqlAlchemyContactRepository",
    "SqlAlchemyFeedRepository",
    "SqlAlchemyFileRepository",
    "SqlAlchemyInviteRepository",
    "SqlAlchemyMembershipRepository",
    "SqlAlchemyMessageRepository",
    "SqlAlchemyPasswordResetRepository",
    "SqlAlchemyPinRepository",
    "SqlAlchemyPrivacyRepository",
    "SqlAlchemyReactionRepository",
    "SqlAlchemyReportRepository",
    "SqlAlchemySearchIndex",
    "SqlAlchemyServerSettings",
    "SqlAlchemySessionRepository",
    "SqlAlchemySettingsRepository",
    "SqlAlchemyThemeRepository",
    "SqlAlchemyUserRepository",
]

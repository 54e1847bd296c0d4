"""Storage on SQLAlchemy 2 (async): MySQL/MariaDB through aiomysql, SQLite through aiosqlite."""

from messenger.adapters.sqlalchemy.engine import check_database, create_engine
from messenger.adapters.sqlalchemy.migrate import (
    alembic_config,
    current_revisions,
    database_url,
    downgrade_database,
    head_revisions,
    known_revisions,
    upgrade_database,
)
from messenger.adapters.sqlalchemy.scratch import scratch_database
from messenger.adapters.sqlalchemy.tables import metadata
from messenger.adapters.sqlalchemy.unit_of_work import (
    SqlAlchemyUnitOfWork,
    SqlAlchemyUnitOfWorkFactory,
)

__all__ = [
    "SqlAlchemyUnitOfWork",
    "SqlAlchemyUnitOfWorkFactory",
    "alembic_config",
    "check_database",
    "create_engine",
    "current_revisions",
    "database_url",
    "downgrade_database",
    "head_revisions",
    "known_revisions",
    "metadata",
    "scratch_database",
    "upgrade_database",
]

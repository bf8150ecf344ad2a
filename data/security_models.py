"""Tables of the security layer: users, the audit log, and sign-in attempts (for rate limiting).

They live in the application database (same `Base` as the topic tables) so that every web
worker, on every machine, sees the same users, the same audit trail and the same lockouts.
Times are stored as naive UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.db import Base

USERNAME = String(64)
# BIGINT in PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
ROW_ID = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table here stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class AppUser(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(USERNAME, unique=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))  # leader | duty | staff | admin
    # The region the user may see: the deployment root or one region below it.
    scope_adcode: Mapped[str] = mapped_column(String(6))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(USERNAME, default="")
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    ip: Mapped[str] = mapped_column(String(45), default="")  # fits an IPv6 address
    __table_args__ = (
        Index("ix_audit_log_ts", "ts"),
        Index("ix_audit_log_event_ts", "event", "ts"),
        Index("ix_audit_log_username_ts", "username", "ts"),
    )


class SigninAttempt(Base):
    """One password sign-in attempt; failures in the last minutes decide lockouts."""

    __tablename__ = "signin_attempt"
    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(USERNAME)
    ip: Mapped[str] = mapped_column(String(45))
    success: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (
        Index("ix_signin_attempt_username_ts", "username", "ts"),
        Index("ix_signin_attempt_ip_ts", "ip", "ts"),
        Index("ix_signin_attempt_ts", "ts"),
    )

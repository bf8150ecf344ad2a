"""User administration from the server's shell — the way to create the first administrator.

    python -m core.users_cli create NAME --role ROLE [--scope ADCODE] [--display-name TEXT] [--password-stdin]
    python -m core.users_cli set-password NAME [--password-stdin]
    python -m core.users_cli disable NAME
    python -m core.users_cli enable NAME
    python -m core.users_cli list

Roles: leader 领导, duty 值班员, staff 综合科室, admin 管理员. The scope defaults to the whole
deployment (COCKPIT_REGION); a county code limits the user to that county. Passwords are asked
for twice on a terminal, or read from the first line of stdin with --password-stdin (scripts).
Every change is written to the audit log.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import unicodedata
from datetime import timezone

from core.audit import audit
from core.auth import ROLES, UserAdminError, create_user, list_users, normalize_username, set_disabled, set_password
from data.db import create_schema
from data.regions import RegionError, region_tree


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    create_schema()  # a fresh installation has no tables until the app or this tool runs
    try:
        args.run(args)
    except UserAdminError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.users_cli", description="Manage cockpit users.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    create = commands.add_parser("create", help="create a user")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=list(ROLES))
    create.add_argument("--scope", help="adcode the user may see (default: the whole deployment)")
    create.add_argument("--display-name", default="")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    create.set_defaults(run=_create)

    password = commands.add_parser("set-password", help="set a new password (ends the user's sessions)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    password.set_defaults(run=_set_password)

    for command, disabled in (("disable", True), ("enable", False)):
        sub = commands.add_parser(command, help=f"{command} a user")
        sub.add_argument("name")
        sub.set_defaults(run=_set_disabled, disabled=disabled)

    commands.add_parser("list", help="list users").set_defaults(run=_list)
    return parser


def _create(args) -> None:
    user = create_user(args.name, _read_password(args.password_stdin), args.role, args.scope, args.display_name)
    _audit("create", user.username, role=user.role, scope=user.scope_adcode)
    print(f"created {user.username} ({user.role_label('en')}, scope {user.scope_adcode})")


def _set_password(args) -> None:
    set_password(args.name, _read_password(args.password_stdin))
    _audit("set_password", normalize_username(args.name))
    print(f"password of {normalize_username(args.name)} changed")


def _set_disabled(args) -> None:
    set_disabled(args.name, args.disabled)
    action = "disable" if args.disabled else "enable"
    _audit(action, normalize_username(args.name))
    print(f"{normalize_username(args.name)} {action}d")


def _list(_args) -> None:
    tree = region_tree()
    print(f"{'user':<20} {'name':<14} {'role':<14} {'scope':<16} {'status':<9} last sign-in")
    for user in list_users():
        try:
            scope = f"{user.scope_adcode} {tree.get(user.scope_adcode).name}"
        except RegionError:
            scope = f"{user.scope_adcode} ?"
        last = (user.last_login_at.replace(tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")
                if user.last_login_at else "never")
        status = "disabled" if user.disabled else "active"
        role = f"{user.role} {ROLES[user.role][0]}"
        print(f"{_pad(user.username, 20)} {_pad(user.display_name, 14)} {_pad(role, 14)} "
              f"{_pad(scope, 16)} {status:<9} {last}")


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal, where a Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 0)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserAdminError("no terminal to ask for the password on: pass it with --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("repeat: ") != first:
        raise UserAdminError("the two passwords differ")
    return first


def _audit(action: str, target: str, **detail) -> None:
    audit("user_admin", {"action": action, "target": target, "via": "cli", "os_user": getpass.getuser(), **detail},
          username="(cli)")


if __name__ == "__main__":
    sys.exit(main())

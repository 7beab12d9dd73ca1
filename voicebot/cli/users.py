"""``voicebot users``: web app accounts. There is no default account: create the first admin here.

voicebot users add NAME [--role staff|admin] [--password-stdin]
voicebot users passwd NAME [--password-stdin]
voicebot users lock NAME | unlock NAME
voicebot users list
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys

from voicebot.config.load import load_settings
from voicebot.records.store import RecordStore
from voicebot.records.users import ROLES, UserError, add_user, check_password, list_users, set_disabled, set_password


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account (asks for the password twice)")
    add.add_argument("name", help="login name (no spaces)")
    add.add_argument("--role", choices=ROLES, default="staff", help="staff (default) or admin")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd = actions.add_parser("passwd", help="set a new password (ends the account's sessions)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    lock = actions.add_parser("lock", help="lock an account (ends its sessions)")
    lock.add_argument("name")
    unlock = actions.add_parser("unlock", help="unlock an account")
    unlock.add_argument("name")
    actions.add_parser("list", help="list the accounts")


def read_password(from_stdin: bool) -> str:
    """The new password: first line of stdin, or typed twice without echo. Raises UserError."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Neues Passwort: ")
        check_password(password)
        if getpass.getpass("Passwort wiederholen: ") != password:
            raise UserError("Die beiden Eingaben stimmen nicht überein.")
    check_password(password)
    return password


def run(args: argparse.Namespace) -> int:
    """Carry out the action; 1 with a message on a refused name, role or password."""
    settings = load_settings(args.config)
    with RecordStore(settings.resolve_data(settings.records.database)) as store:
        now = dt.datetime.now(dt.UTC)
        try:
            if args.action == "add":
                password = read_password(args.password_stdin)
                user = store.query(add_user, args.name, args.role, password, now)
                print(f"Benutzer {user.name} ({user.role}) angelegt.")
            elif args.action == "passwd":
                password = read_password(args.password_stdin)
                store.query(set_password, args.name, password)
                print(f"Passwort von {args.name} geändert.")
            elif args.action in ("lock", "unlock"):
                store.query(set_disabled, args.name, args.action == "lock")
                print(f"Benutzer {args.name} {'gesperrt' if args.action == 'lock' else 'entsperrt'}.")
            else:
                for user in store.query(list_users):
                    state = " (gesperrt)" if user.disabled else ""
                    print(f"{user.name}\t{user.role}\t{user.created_at:%Y-%m-%d}{state}")
        except UserError as error:
            print(f"voicebot users: {error}", file=sys.stderr)
            return 1
    return 0

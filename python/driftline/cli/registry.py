"""``driftline registry ...``: models, versions, datasets, approvals, aliases, lineage,
users and tokens, as tables or ``--json``.

The registry URL comes from ``--url`` or ``DRIFTLINE_REGISTRY_URL``; the caller's token from
``DRIFTLINE_TOKEN`` or ``--token-file`` (never from the command line, where other users of
the machine could read it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from driftline.cli.app import app
from driftline.exceptions import DriftlineError, InvalidParameter

__all__ = ["emit", "fail_on_error", "open_registry", "registry_app"]

registry_app = typer.Typer(help="The model registry.", no_args_is_help=True)
users_app = typer.Typer(help="Users and roles (admin).", no_args_is_help=True)
tokens_app = typer.Typer(help="Access tokens (admin).", no_args_is_help=True)
registry_app.add_typer(users_app, name="users")
registry_app.add_typer(tokens_app, name="tokens")
app.add_typer(registry_app, name="registry")

console = Console()
err_console = Console(stderr=True)

UrlOpt = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="DRIFTLINE_REGISTRY_URL",
        help="Registry database URL (sqlite:///... or postgresql+psycopg://...).",
    ),
]
DEFAULT_URL = "sqlite:///.driftline/registry.db"
TokenFileOpt = Annotated[
    Path | None,
    typer.Option("--token-file", help="File holding the token (else $DRIFTLINE_TOKEN)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def fail_on_error() -> Iterator[None]:
    """Turn bad input into a one-line red message on stderr and exit status 2.

    Bad input is a driftline error, or a file that cannot be read or written (a missing
    path, a directory, no permission) or is not UTF-8 text: the user's mistake, so a
    message rather than a traceback.
    """
    try:
        yield
    except DriftlineError as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    except OSError as exc:
        # str(OSError) reads "[Errno 2] No such file or directory: 'x'"; lead with the path.
        where = f"{exc.filename}: " if exc.filename is not None else ""
        _fail(f"{where}{exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        _fail(f"input is not UTF-8 text ({exc.reason} at byte {exc.start})")


def _fail(message: str) -> None:
    # soft_wrap: one line however narrow the terminal, so scripts can grep it.
    err_console.print(
        f"[red]error:[/red] {escape(' '.join(message.split()))}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(2) from None


def open_registry(url: str, *, create: bool = False) -> Any:
    """Open the registry (imported lazily to keep ``driftline --help`` fast).

    Only commands that set a registry up pass ``create=True``: for every other command a
    SQLite file that does not exist is a typo, and opening it would create (and migrate)
    an empty registry there and report on that instead.
    """
    from driftline.registry import Registry

    if not create:
        missing = _missing_sqlite_file(url)
        if missing is not None:
            raise InvalidParameter(
                f"no registry database at {missing}: check --url, or create one with "
                "`driftline registry bootstrap`"
            )
    return Registry(url)


def _missing_sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL when it does not exist, else None."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None  # the registry names the bad URL itself
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or parsed.database.startswith("file:"):
        return None  # an SQLite URI (mode=..., shared cache): the driver decides
    path = Path(parsed.database)
    return None if path.exists() else path


def _read_token_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InvalidParameter(
            f"cannot read the token file {path}: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError:
        raise InvalidParameter(
            f"the token file {path} is not UTF-8 text (a token is dlt_ and base64)"
        ) from None


def _session(url: str, token_file: Path | None) -> Any:
    if token_file is not None:
        token = _read_token_file(token_file)
    else:
        token = os.environ.get("DRIFTLINE_TOKEN", "")
    if not token:
        raise InvalidParameter("no token: set DRIFTLINE_TOKEN or pass --token-file")
    return open_registry(url).session(token)


def _plain(value: Any) -> Any:
    # to_dict first: a record's own dict has its decoded properties (a version's tags,
    # params, metrics), which asdict, reading fields only, would leave as JSON text.
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def emit(
    rows: Sequence[Any], columns: Sequence[str], *, as_json: bool, title: str | None = None
) -> None:
    """Print records as a rich table (the named columns) or as JSON (everything)."""
    plain = [_plain(r) for r in rows]
    if as_json:
        typer.echo(json.dumps(plain, default=str, ensure_ascii=False, indent=2))
        return
    table = Table(title=escape(title) if title else None)
    for column in columns:
        table.add_column(column)
    for row in plain:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    console.print(table)


def _cell(value: Any) -> Text:
    # Text, not str: user-supplied names must never be read as rich markup.
    if value is None:
        return Text("")
    if isinstance(value, dict):
        return Text(", ".join(f"{k}={v}" for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return Text(", ".join(str(v) for v in value))
    return Text(str(value))


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidParameter(f"{what} {item!r} must be KEY=VALUE")
        out[key] = value
    return out


def _run(fn: Callable[[], None]) -> None:
    with fail_on_error():
        fn()


@registry_app.command("bootstrap")
def bootstrap(name: str, url: UrlOpt = DEFAULT_URL) -> None:
    """Create the first admin and print its token (shown once)."""

    def go() -> None:
        token = open_registry(url, create=True).bootstrap(name)
        err_console.print("Token for the first admin (shown once; store it safely):")
        typer.echo(token)

    _run(go)


@registry_app.command("models")
def models_cmd(
    url: UrlOpt = DEFAULT_URL, token_file: TokenFileOpt = None, as_json: JsonOpt = False
) -> None:
    """List models."""
    _run(
        lambda: emit(
            _session(url, token_file).list_models(),
            ["name", "production_version", "aliases", "owners", "suspended", "created_by"],
            as_json=as_json,
            title="models",
        )
    )


@registry_app.command("create-model")
def create_model(
    name: str,
    description: Annotated[str, typer.Option(help="What the model does.")] = "",
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a model."""
    _run(
        lambda: emit(
            [_session(url, token_file).create_model(name, description=description)],
            ["name", "owners", "created_at"],
            as_json=as_json,
        )
    )


_VERSION_COLUMNS = ["model", "version", "stage", "checksum", "tags", "created_by", "revision"]


@registry_app.command("versions")
def versions_cmd(
    model: Annotated[str | None, typer.Argument()] = None,
    stage: Annotated[str | None, typer.Option(help="Only this stage.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List versions (of one model or all), filtered by stage and tags."""
    _run(
        lambda: emit(
            _session(url, token_file).list_versions(
                model, stage=stage, tags=_pairs(tag, "tag"), limit=limit
            ),
            _VERSION_COLUMNS,
            as_json=as_json,
            title="versions",
        )
    )


@registry_app.command("register")
def register(
    model: str,
    artifact: Annotated[str, typer.Option(help="Artifact URI (s3://..., file:///...).")],
    checksum: Annotated[str, typer.Option(help="sha256:<hex> of the artifact.")],
    framework: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[list[str] | None, typer.Option(help="KEY=VALUE (repeatable).")] = None,
    training_dataset: Annotated[str | None, typer.Option(help="name or name@version.")] = None,
    parent: Annotated[int | None, typer.Option(help="Parent version number.")] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a new version of a model."""
    _run(
        lambda: emit(
            [
                _session(url, token_file).register_version(
                    model,
                    artifact_uri=artifact,
                    checksum=checksum,
                    framework=framework,
                    tags=_pairs(tag, "tag"),
                    training_dataset=training_dataset,
                    parent=parent,
                )
            ],
            _VERSION_COLUMNS,
            as_json=as_json,
        )
    )


@registry_app.command("datasets")
def datasets_cmd(
    name: Annotated[str | None, typer.Argument()] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List dataset versions."""
    _run(
        lambda: emit(
            _session(url, token_file).list_datasets(name),
            ["name", "version", "row_count", "fingerprint", "uri", "created_by"],
            as_json=as_json,
            title="datasets",
        )
    )


@registry_app.command("approve")
def approve(
    model: str,
    version: int,
    comment: Annotated[str | None, typer.Option()] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead.")] = False,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve (or --reject) a version."""

    def go() -> None:
        session = _session(url, token_file)
        decide = session.reject if reject else session.approve
        emit(
            [decide(model, version, comment=comment)],
            ["model", "version", "decision", "approver", "checksum"],
            as_json=as_json,
        )

    _run(go)


@registry_app.command("promote")
def promote(
    model: str,
    version: int,
    stage: Annotated[str, typer.Option(help="Target stage.")] = "production",
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a version to a stage (production by default, which needs approvals)."""
    _run(
        lambda: emit(
            [_session(url, token_file).transition(model, version, stage)],
            _VERSION_COLUMNS,
            as_json=as_json,
        )
    )


@registry_app.command("alias")
def alias(
    model: str,
    name: str,
    version: int,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
) -> None:
    """Point an alias (champion, challenger ...) at a version."""
    _run(lambda: _session(url, token_file).set_alias(model, name, version))


@registry_app.command("lineage")
def lineage(
    model: str,
    version: int,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The lineage chain of a version: parents, training data, reference profiles."""

    def go() -> None:
        chain = _session(url, token_file).lineage(model, version)
        rows = [
            {
                **node.to_dict(),
                "training_dataset": node.training_dataset.ref if node.training_dataset else None,
            }
            for node in chain
        ]
        if as_json:
            emit(chain, [], as_json=True)
        else:
            emit(
                rows,
                ["model", "version", "stage", "training_dataset", "parent_version", "checksum"],
                as_json=False,
                title="lineage",
            )

    _run(go)


@registry_app.command("suspend")
def suspend(
    model: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    version: Annotated[int | None, typer.Option(help="Only this version.")] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
) -> None:
    """Kill switch (admin): suspend a model or one version."""
    _run(lambda: _session(url, token_file).suspend(model, version, reason=reason))


@registry_app.command("resume")
def resume(
    model: str,
    version: Annotated[int | None, typer.Option(help="Only this version.")] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
) -> None:
    """Lift a suspension (admin)."""
    _run(lambda: _session(url, token_file).resume(model, version))


@users_app.command("list")
def users_list(
    url: UrlOpt = DEFAULT_URL, token_file: TokenFileOpt = None, as_json: JsonOpt = False
) -> None:
    """List users."""
    _run(
        lambda: emit(
            _session(url, token_file).list_users(),
            ["name", "role", "kind", "disabled", "created_at"],
            as_json=as_json,
            title="users",
        )
    )


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="viewer, contributor, approver or admin.")] = "viewer",
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
) -> None:
    """Create a user and print its token (shown once)."""

    def go() -> None:
        token = _session(url, token_file).create_user(name, role=role)
        err_console.print(f"Token for {name!r} (shown once):")
        typer.echo(token)

    _run(go)


@users_app.command("role")
def users_role(
    name: str, role: str, url: UrlOpt = DEFAULT_URL, token_file: TokenFileOpt = None
) -> None:
    """Change a user's role."""
    _run(lambda: _session(url, token_file).set_role(name, role))


@users_app.command("disable")
def users_disable(name: str, url: UrlOpt = DEFAULT_URL, token_file: TokenFileOpt = None) -> None:
    """Disable a user (its tokens stop working)."""
    _run(lambda: _session(url, token_file).disable_user(name))


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List tokens (ids and dates; the secrets are never stored)."""
    _run(
        lambda: emit(
            _session(url, token_file).list_tokens(user),
            ["id", "user", "created_at", "expires_at", "revoked_at"],
            as_json=as_json,
            title="tokens",
        )
    )


@tokens_app.command("create")
def tokens_create(
    user: str,
    expires_in: Annotated[float | None, typer.Option(help="Lifetime in seconds.")] = None,
    url: UrlOpt = DEFAULT_URL,
    token_file: TokenFileOpt = None,
) -> None:
    """Issue a token for a user and print it (shown once)."""

    def go() -> None:
        token = _session(url, token_file).create_token(user, expires_in=expires_in)
        err_console.print(f"Token for {user!r} (shown once):")
        typer.echo(token)

    _run(go)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: str, url: UrlOpt = DEFAULT_URL, token_file: TokenFileOpt = None
) -> None:
    """Revoke a token by id (tok_...)."""
    _run(lambda: _session(url, token_file).revoke_token(token_id))

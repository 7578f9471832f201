"""What ``VMESTE_ENV=production`` refuses to start with, and what it only warns about.

The embedded default (SQLite, the in-process broker, dev mode for ``vmeste demo``) is
right on a laptop and wrong for a national service, and each of its conveniences is one
forgotten variable away from production. So a production process checks its settings
before it serves, works or migrates anything, and stops with one line per problem
naming the variable: an incident found at start costs a failed rollout, found later it
costs forged sign-ins or lost jobs.

The rules are pure functions of the settings and of the shape the command gives the
installation (an API process or a worker, how many processes it starts), because SQLite
is only safe in a single process. ``vmeste serve``, ``worker``, ``scheduler``,
``migrate`` and the ASGI factory's lifespan all ask here; docs/operations.md lists the
rules. Only the checks in :data:`~vmeste.platform.settings.PRODUCTION_WAIVERS` can be
waived (``VMESTE_PRODUCTION_ALLOW``): a public schema browser is a choice, a forgeable
token is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from urllib.parse import urlsplit

from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.settings import Settings

MIN_SECRET_LENGTH = 32
#: Fewer distinct characters than this is a typed pattern, not a random key: 32 random
#: hex digits (the shortest accepted ``openssl rand -hex 16``) hold 14 distinct ones on
#: average, 8 about three times in a million, fewer far less often still.
MIN_SECRET_VARIETY = 8
#: Words of placeholders (docs, charts, tutorials), found in a key as typed (see
#: :func:`_typed`); five letters or more.
PLACEHOLDER_WORDS = ("change", "replace", "placeholder", "example", "secret", "password",
                     "default", "dummy", "insecure", "sample", "qwerty", "random", "vmeste",
                     "please", "production", "characters")
DEV_PLUGIN = "identity_dev"
HOW_TO_MAKE_A_KEY = "set at least 32 random characters (openssl rand -hex 32)"


class ProcessKind(StrEnum):
    """What the starting process is to the installation."""

    API = "api"  # vmeste serve, the ASGI factory
    WORKER = "worker"
    SCHEDULER = "scheduler"
    COMMAND = "command"  # vmeste migrate: a one-off beside the deployment


class ProductionRefused(Exception):
    """The settings are unsafe for production; ``problems`` are ``"VMESTE_…: …"`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} setting(s) unsafe in production: "
                         + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Finding:
    variable: str
    text: str
    #: The name that waives it in VMESTE_PRODUCTION_ALLOW; None: it cannot be waived.
    waiver: str | None = None

    def __str__(self) -> str:
        return f"{self.variable}: {self.text}"


def production_problems(settings: Settings, kind: ProcessKind, processes: int = 1
                        ) -> list[str]:
    """The lines that stop a production process (none outside production)."""
    if not settings.is_production:
        return []
    found = [*_development(settings), *_identity(settings), *_secret_key(settings),
             *_storage(settings, kind, processes), *_browsing(settings)]
    return [str(finding) for finding in found
            if finding.waiver is None or finding.waiver not in settings.production_allow]


def production_warnings(settings: Settings, kind: ProcessKind) -> list[str]:
    """Lines worth an operator's look that do not stop the process. Per-process rate
    counters warn even for one process: its replicas are out of its sight, and one
    replica of one process is no production layout."""
    if not settings.is_production:
        return []
    warnings: list[str] = []
    if kind == ProcessKind.API and settings.rate_limits and \
            urlsplit(settings.rate_limit_storage_url).scheme in ("", "memory"):
        warnings.append(
            "VMESTE_RATE_LIMIT_STORAGE_URL: empty, so every API process (each of `serve "
            "--workers`, each replica) counts the request budgets on its own and a client "
            "gets the limits once per process; set redis://… to share them")
    if settings.webhook_allow_private:
        warnings.append("VMESTE_WEBHOOK_ALLOW_PRIVATE: on, so a webhook subscription can "
                        "point at the cluster's own services (the database, the broker, "
                        "/metrics); leave it off unless every receiver is inside")
    if urlsplit(settings.oidc_jwks_url).scheme == "http":
        warnings.append("VMESTE_OIDC_JWKS_URL: plain http, so whoever can alter that traffic "
                        "can swap the keys and sign in as anyone; use https unless the path "
                        "is trusted end to end")
    return warnings


def require_production_safe(settings: Settings, kind: ProcessKind, processes: int = 1
                            ) -> list[str]:
    """Raise :class:`ProductionRefused` on any problem; else return the warnings."""
    if problems := production_problems(settings, kind, processes):
        raise ProductionRefused(problems)
    return production_warnings(settings, kind)


def _development(settings: Settings) -> Iterator[Finding]:
    """Dev mode is what makes the dev token issuer live: the ``identity_dev`` plugin
    accepts its tokens only then, and ``vmeste token`` signs them only then."""
    if not settings.dev_mode:
        return
    if DEV_PLUGIN in settings.disable_plugins:
        yield Finding("VMESTE_DEV_MODE", "on (test tokens, the SMS and push file sink, text "
                      "logs); switch it off")
    else:
        yield Finding("VMESTE_DEV_MODE", "on, so the dev token issuer is live: anyone who can "
                      "run `vmeste token` or read the data folder's dev-issuer-key.pem signs "
                      "in with any role; switch it off")


def _identity(settings: Settings) -> Iterator[Finding]:
    if settings.oidc_issuer == DEV_ISSUER:
        yield Finding("VMESTE_OIDC_ISSUER", f"names the dev token issuer ({DEV_ISSUER}), whose "
                      "users are the demo's; set your identity provider's issuer")
    elif not settings.oidc_issuer:
        yield Finding("VMESTE_OIDC_ISSUER", "empty, so no identity provider is configured and "
                      "nobody can sign in; set ESIA's (or your OIDC provider's) issuer and "
                      "VMESTE_OIDC_JWKS_URL", waiver="identity_provider")
    elif not settings.oidc_jwks_url:
        yield Finding("VMESTE_OIDC_JWKS_URL", "empty, so tokens of VMESTE_OIDC_ISSUER cannot "
                      "be verified and nobody can sign in; set the provider's key set URL",
                      waiver="identity_provider")


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is no secret (empty, short, a placeholder, a pattern), or None."""
    if not key:
        return f"empty; {HOW_TO_MAKE_A_KEY}"
    if len(key) < MIN_SECRET_LENGTH:
        return f"{len(key)} characters; {HOW_TO_MAKE_A_KEY}"
    if word := next((w for w in PLACEHOLDER_WORDS if _typed(w, key)), None):
        return f"holds {word!r}, a placeholder, not a random key; {HOW_TO_MAKE_A_KEY}"
    if len(set(key)) < MIN_SECRET_VARIETY or _repeats(key) or _runs(key):
        return f"a pattern (few distinct characters, a repeated or a running sequence), " \
               f"not a random key; {HOW_TO_MAKE_A_KEY}"
    return None


def _typed(word: str, key: str) -> bool:
    """Whether ``key`` holds ``word`` as a person types it: in a key of one case (no
    capital letter), anywhere; else in one case (``secret``, ``SECRET``, ``Secret``) and
    at a word's edge (the key's, a separator's or a digit's, or a capital after a small
    letter). Random base64 mixes the cases: it holds a five-letter word so, by chance,
    about once in 10^7 keys."""
    if not any(c.isupper() for c in key):
        return word in key
    for form in (word, word.upper(), word.title()):
        start = key.find(form)
        while start != -1:
            end = start + len(form)
            before = key[start - 1] if start else ""
            after = key[end] if end < len(key) else ""
            if not before.isalpha() or not after.isalpha() or (
                    form[0].isupper() and before.islower()):
                return True
            start = key.find(form, start + 1)
    return False


def _repeats(key: str) -> bool:
    """``abcd1234abcd1234…``: a short unit typed again and again."""
    return any(key == (key[:period] * (len(key) // period + 1))[:len(key)]
               for period in range(1, len(key) // 2 + 1))


def _runs(key: str) -> bool:
    """``abcdefgh…``, ``0123…``: most neighbours a step apart (a random hex key has
    one pair in eight so)."""
    steps = sum(abs(ord(a) - ord(b)) == 1 for a, b in pairwise(key))
    return steps * 2 > len(key) - 1


def _secret_key(settings: Settings) -> Iterator[Finding]:
    if problem := secret_key_weakness(settings.secret_key):
        yield Finding("VMESTE_SECRET_KEY", problem)


def _storage(settings: Settings, kind: ProcessKind, processes: int) -> Iterator[Finding]:
    """SQLite is one file that one process must hold alone: safe only when the API
    process runs the worker and the scheduler itself."""
    memory = settings.broker_url.startswith("memory")
    if settings.is_sqlite:
        if kind in (ProcessKind.WORKER, ProcessKind.SCHEDULER):
            reason = f"and `vmeste {kind.value}` is a process beside the API"
        elif processes > 1:
            reason = f"and this command starts {processes} processes"
        elif not settings.embedded_workers:
            reason = ("and with VMESTE_EMBEDDED_WORKERS off the worker and the scheduler are "
                      "processes of their own")
        else:
            reason = ""
        if reason:
            yield Finding("VMESTE_DATABASE_URL", f"SQLite holds one process only, {reason}; "
                          "use PostgreSQL")
    if memory:
        where = ("; on SQLite also set VMESTE_EMBEDDED_WORKERS=1, so that the API process "
                 "runs the worker and the scheduler" if settings.is_sqlite else
                 " with `vmeste worker` and `vmeste scheduler`")
        yield Finding("VMESTE_BROKER_URL", "memory://, the in-process broker: queued jobs die "
                      "with the process and the API's own CPU runs them; use amqp://… "
                      f"(RabbitMQ) or redis://…{where}")


def _browsing(settings: Settings) -> Iterator[Finding]:
    if settings.graphiql:
        yield Finding("VMESTE_GRAPHIQL", "on (it follows VMESTE_DEV_MODE unless set): a "
                      "browser IDE at GET /graphql; set it to 0, or waive it with "
                      "VMESTE_PRODUCTION_ALLOW=graphiql", waiver="graphiql")
    if settings.introspection:
        yield Finding("VMESTE_INTROSPECTION", "on (the default), so anyone reads the whole "
                      "schema and errors suggest field names; set it to 0, or waive it with "
                      "VMESTE_PRODUCTION_ALLOW=introspection", waiver="introspection")


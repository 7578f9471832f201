"""Settings read from ``VMESTE_*`` environment variables.

Every setting has a safe default so that ``vmeste demo`` runs on a laptop with
nothing configured. A bad value raises :class:`SettingsError` naming the variable;
the CLI turns it into one line on stderr and exit code 2, because a half-started
national service is worse than one that refuses to start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from vmeste.platform.i18n import DEFAULT as DEFAULT_LOCALE
from vmeste.platform.i18n import SUPPORTED, supported
from vmeste.platform.settings_values import (
    SettingsError,
    age_bands,
    choice,
    duration,
    flag,
    http_url,
    identifier,
    integer,
    listed,
    networks,
    rate,
    url,
)

__all__ = ["PRODUCTION_WAIVERS", "Settings", "SettingsError", "load_settings",
           "retry_horizon_seconds"]

DEFAULT_DATA_DIR = Path("var")
_DB_SCHEMES = ("sqlite", "postgres", "asyncpg", "psycopg")
_BROKER_SCHEMES = ("memory", "amqp", "amqps", "redis", "rediss")
_HTTP = ("http", "https")
#: Production checks an operator may waive by name (VMESTE_PRODUCTION_ALLOW); the
#: others (dev mode, the secret key, the broker, SQLite) have no waiver. The checks
#: themselves are in vmeste/platform/production.py.
PRODUCTION_WAIVERS = ("graphiql", "identity_provider", "introspection")
#: The file types attachments can take (vmeste/platform/attachments/content.py).
ATTACHMENT_TYPES = ("jpeg", "png", "webp", "pdf", "docx", "xlsx", "odt", "ods")
#: The most VMESTE_ATTACHMENT_MAX_PER_PARENT may allow: the GraphQL cost of a page of
#: appeals counts each one's files at this bound.
MAX_FILES_PER_PARENT = 30


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one process."""

    database_url: str
    broker_url: str = "memory://"
    #: Language of texts when a request or a command asks for none of ours (i18n.SUPPORTED).
    locale: str = DEFAULT_LOCALE
    secret_key: str = field(default="", repr=False)
    dev_mode: bool = False
    #: ``development`` or ``production``: production refuses to start with an unsafe
    #: setting (dev mode, the dev issuer, a weak secret key, …; vmeste/platform/production.py).
    environment: str = "development"
    #: Production checks the operator waives on purpose, by name (e.g. ``introspection``).
    production_allow: tuple[str, ...] = ()
    #: GraphiQL for a browser at /graphql; follows dev mode unless set.
    graphiql: bool = False
    #: ``json`` (one object a line, for a log pipeline) or ``text``; text in dev mode
    #: unless set.
    log_format: str = "json"
    log_level: str = "INFO"
    #: Prometheus metrics at the API's /metrics and on the workers' health port.
    metrics: bool = True
    data_dir: Path = DEFAULT_DATA_DIR
    #: The largest file of a hearing's draft (an upload must also fit the request limit).
    hearing_attachment_max_bytes: int = 20 * 1024**2
    #: Attachments (vmeste/platform/attachments): the largest file, files per object,
    #: a citizen's unattached uploads at once, the types taken, the hours an unattached
    #: upload is kept, a download URL's lifetime, the storage where no policy decides,
    #: the uploads a process takes at once (each holds its body in memory) and the
    #: photos it re-encodes at once (each up to about 100 MB of pixels, a core busy).
    attachment_max_bytes: int = 10 * 1024**2
    attachment_max_per_parent: int = 10
    attachment_max_unattached: int = 20
    attachment_types: tuple[str, ...] = ATTACHMENT_TYPES
    attachment_unattached_hours: int = 24
    attachment_url_seconds: int = 900
    attachment_storage: str = "local"
    attachment_concurrent_uploads: int = 8
    attachment_image_workers: int = 2
    oidc_issuer: str = ""
    oidc_jwks_url: str = ""
    oidc_audience: str = "vmeste"
    #: The provider's authorization and token endpoints and the platform's client id,
    #: through which the site widget signs a citizen in (authorization code with PKCE).
    oidc_authorization_url: str = ""
    oidc_token_url: str = ""
    oidc_client_id: str = "vmeste-widget"
    allowed_origins: tuple[str, ...] = ()
    default_page_size: int = 20
    max_page_size: int = 100
    max_query_depth: int = 12
    max_query_tokens: int = 5000
    max_aliases: int = 30
    #: Compiled read plans on (off: the resolvers answer all); plans kept per process.
    compiled_reads: bool = True
    read_plan_cache: int = 1000
    max_request_bytes: int = 262_144
    #: Budget of one operation's cost (fields it may resolve, lists counted at their
    #: page size; see vmeste/schema/cost.py), for signed-in and for anonymous callers.
    graphql_max_cost: int = 50_000
    graphql_max_cost_anonymous: int = 20_000
    #: HTTP requests one process serves at once (probes aside); more wait for a slot.
    max_inflight: int = 64
    #: How long a request waits for a slot before a 503 OVERLOADED.
    inflight_wait_ms: int = 200
    introspection: bool = True
    plugins: tuple[str, ...] | None = None
    disable_plugins: tuple[str, ...] = ()
    policy_cache_seconds: int = 2
    auth_cache_seconds: int = 30
    #: smtp[s]://user:password@host:port[?starttls=true]; empty switches e-mail off.
    smtp_url: str = field(default="", repr=False)
    smtp_from: str = "noreply@vmeste.localhost"
    #: How long one delivery attempt may hold a notification before another may take it;
    #: a send is cut off before the lease ends, so it is at least twice the timeout.
    delivery_lease_seconds: int = 60
    #: Limit of each network operation (connect, a read) of an SMTP or webhook attempt.
    notify_timeout_seconds: int = 10
    #: Let webhooks reach loopback, private, link-local and reserved addresses (tests,
    #: a closed network); off, a webhook cannot be pointed at the platform's own network.
    webhook_allow_private: bool = False
    #: Retries of a failed background job before it becomes a dead letter.
    job_max_retries: int = 8
    job_min_backoff_ms: int = 1000
    job_max_backoff_ms: int = 600_000
    relay_interval_ms: int = 500
    relay_batch_size: int = 200
    watchdog_interval_seconds: int = 60
    #: An outbox row relayed this long ago whose job never finished is relayed again (a
    #: broker that lost its queues); consumers deduplicate, so a copy is harmless.
    outbox_redeliver_seconds: int = 3600
    #: Outbox rows whose job finished are deleted after this many days.
    outbox_retention_days: int = 7
    #: Prefix of the broker's queue names, so environments can share one broker.
    queue_prefix: str = "vmeste"
    worker_threads: int = 4
    #: Run the worker and the scheduler inside the API process (the embedded default).
    embedded_workers: bool = True
    #: Longest accepted token lifetime (exp − iat), in seconds.
    auth_max_token_lifetime_seconds: int = 86_400
    #: Open GraphQL WebSocket connections one principal may hold at once.
    ws_max_connections_per_principal: int = 5
    #: How often a live subscription re-loads its caller's roles.
    ws_recheck_seconds: int = 30
    #: Operations one GraphQL WebSocket may run at once (Strawberry's default is 100).
    ws_max_subscriptions_per_connection: int = 10
    #: Request budgets (``limits`` notation, e.g. "120/minute").
    rate_limits: bool = True
    rate_limit_anonymous: str = "120/minute"
    rate_limit_reads: str = "600/minute"
    rate_limit_mutations: str = "120/minute"
    #: Refused bearer tokens per client address, checked before a token is verified.
    rate_limit_auth_failures: str = "30/minute"
    #: Where the counters live: empty is this process's memory; redis://… shares them.
    rate_limit_storage_url: str = field(default="", repr=False)
    #: Peers (addresses or networks) whose X-Forwarded-For names the real client.
    trusted_proxies: tuple[str, ...] = ()
    #: Port of ``vmeste worker``'s and ``vmeste scheduler``'s health probe; 0 is off.
    health_port: int = 0
    health_host: str = "0.0.0.0"
    health_interval_seconds: int = 5
    #: How long the broker (and the scheduler's database) may be unreachable before the
    #: liveness probe fails too, so an orchestrator restarts a process whose connection
    #: is wedged, but not every process at each short outage (readiness fails at once).
    health_dependency_grace_seconds: int = 300
    #: Key of the keyed hash that alone links a person to their ballot (revoting, an
    #: idempotent retry); kept outside the database so a dump cannot join the two.
    #: Empty: derived from the secret key (and a fixed development key without one).
    ballot_key: str = field(default="", repr=False)
    #: Days a claim code for an appeal filed on someone's behalf stays valid.
    claim_code_days: int = 30
    #: Wrong claim codes one user may enter in an hour before claims are refused.
    claim_attempts_per_hour: int = 5
    #: Rows per result counter, so concurrent ballots do not queue on one hot row.
    tally_shards: int = 8
    #: Age bands of breakdowns ("14-17,18-24,…,60+"): lower bounds ascending, the last open.
    age_bands: tuple[str, ...] = ("14-17", "18-24", "25-34", "35-44", "45-59", "60+")
    #: Smallest group a breakdown publishes when a vote or poll sets none, and the
    #: smallest point of the public appeal statistics.
    min_group_size: int = 10
    #: A territory's ballots in one minute are a spike from this many on, when they also
    #: exceed the trailing median by this many (scaled) median absolute deviations.
    vote_spike_min_ballots: int = 30
    vote_spike_deviations: int = 8
    #: Minutes of history the spike baseline looks at.
    vote_spike_window_minutes: int = 60
    #: Base URLs of the social networks' APIs (a local fake in tests and staging).
    vk_api_url: str = "https://api.vk.com/method"
    ok_api_url: str = "https://api.ok.ru/fb.do"
    telegram_api_url: str = "https://api.telegram.org"
    #: Prefixes of the environment variables holding each network's secrets
    #: (``<prefix>_TOKEN``, ``<prefix>_<CREDENTIALS>_TOKEN``, …): only names are settings,
    #: so a token is never in the database, a policy or a log.
    vk_env_prefix: str = "VMESTE_VK"
    ok_env_prefix: str = "VMESTE_OK"
    telegram_env_prefix: str = "VMESTE_TELEGRAM"
    #: A citizen's data export (docs/privacy.md): days its archive is kept, and minutes
    #: a download link signed for it stays valid.
    data_export_days: int = 7
    data_export_link_minutes: int = 15
    #: Days between a citizen's erasure request and its execution, during which they
    #: may cancel it; 0 executes it at once.
    erasure_cooling_off_days: int = 14
    #: Retention periods, in days: appeals and their answers after the appeal's last
    #: step (the archival rules keep citizens' appeals 5 years), and a notification's
    #: copy after it was made.
    retention_appeals_days: int = 1827
    retention_notifications_days: int = 365
    #: How often the retention sweep runs.
    retention_sweep_hours: int = 24

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _locale(env: Mapping[str, str]) -> str:
    value = env.get("VMESTE_LOCALE", "").strip() or DEFAULT_LOCALE
    found = supported(value)
    if found is None:
        raise SettingsError("VMESTE_LOCALE", f"use one of {', '.join(SUPPORTED)}")
    return found


def _smtp_url(env: Mapping[str, str]) -> str:
    value = env.get("VMESTE_SMTP_URL", "").strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            # The value holds a password: never echo it.
            raise SettingsError("VMESTE_SMTP_URL", "expected smtp://host:port or smtps://…")
    return value


def _broker_url(env: Mapping[str, str]) -> str:
    """The broker URL, checked whole so a typo fails at start, not at the first job.

    A message never quotes the value: it may hold the broker's password.
    """
    name = "VMESTE_BROKER_URL"
    value = url(env, name, "memory://", _BROKER_SCHEMES)
    parts = urlsplit(value)
    if parts.scheme == "memory":
        return value
    if not parts.hostname:
        raise SettingsError(name, f"expected {parts.scheme}://host:port/…, the host is missing")
    if parts.username and parts.password is None:
        raise SettingsError(name, f"user {parts.username!r} has no password; "
                            "write user:password@host")
    return value


def _production_allow(env: Mapping[str, str]) -> tuple[str, ...]:
    """A misspelt waiver would leave its check on silently, or seem to waive one that
    cannot be: either way the operator should hear of it at start."""
    name = "VMESTE_PRODUCTION_ALLOW"
    values = tuple(value.lower() for value in listed(env, name) or ())
    for value in values:
        if value not in PRODUCTION_WAIVERS:
            raise SettingsError(name, f"unknown check {value!r}; the checks that can be "
                                f"waived are {', '.join(PRODUCTION_WAIVERS)}")
    return values


def _attachment_types(env: Mapping[str, str]) -> tuple[str, ...]:
    name = "VMESTE_ATTACHMENT_TYPES"
    values = tuple(v.lower() for v in listed(env, name) or ATTACHMENT_TYPES)
    unknown = sorted(set(values) - set(ATTACHMENT_TYPES))
    if unknown or not values:
        raise SettingsError(name, f"use some of {', '.join(ATTACHMENT_TYPES)}")
    return values


def _rate_storage(env: Mapping[str, str]) -> str:
    name = "VMESTE_RATE_LIMIT_STORAGE_URL"
    value = env.get(name, "").strip()
    if value and urlsplit(value).scheme not in ("memory", "redis", "rediss"):
        # The value may hold a password: never echo it.
        raise SettingsError(name, "use redis://…, rediss://… or memory://")
    return value


def _env_prefix(env: Mapping[str, str], name: str, default: str) -> str:
    """A prefix of variable names, not a secret: upper case, so it names variables the
    way the operator's environment writes them."""
    value = env.get(name, "").strip() or default
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,39}", value):
        raise SettingsError(name, "use 1-40 capital letters, digits or '_', starting with "
                            "a letter")
    return value


def retry_horizon_seconds(max_retries: int, min_backoff_ms: int, max_backoff_ms: int
                          ) -> float:
    """How long a job's retries can take at most: dramatiq doubles the backoff from the
    minimum up to the maximum, and adds up to as much again as jitter."""
    return sum(2 * min(min_backoff_ms * 2 ** attempt, max_backoff_ms)
               for attempt in range(max_retries)) / 1000


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; raises :class:`SettingsError` on bad input."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("VMESTE_DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
    dev_mode = flag(env, "VMESTE_DEV_MODE", False)
    secret_key = env.get("VMESTE_SECRET_KEY", "")
    if not dev_mode and secret_key and len(secret_key) < 32:
        raise SettingsError("VMESTE_SECRET_KEY", "must be at least 32 characters")
    default_page = integer(env, "VMESTE_DEFAULT_PAGE_SIZE", 20, 1, 1000)
    max_page = integer(env, "VMESTE_MAX_PAGE_SIZE", 100, 1, 1000)
    if default_page > max_page:
        raise SettingsError("VMESTE_DEFAULT_PAGE_SIZE", "must not exceed VMESTE_MAX_PAGE_SIZE")
    origins = listed(env, "VMESTE_ALLOWED_ORIGINS") or ()
    for origin in origins:
        if origin != "*" and urlsplit(origin).scheme not in ("http", "https"):
            raise SettingsError("VMESTE_ALLOWED_ORIGINS", f"{origin!r} is not an http(s) origin")
    broker_url = _broker_url(env)
    min_backoff = integer(env, "VMESTE_JOB_MIN_BACKOFF_MS", 1000, 1, 3_600_000)
    max_backoff = integer(env, "VMESTE_JOB_MAX_BACKOFF_MS", 600_000, 1, 7 * 86_400_000)
    if min_backoff > max_backoff:
        raise SettingsError("VMESTE_JOB_MIN_BACKOFF_MS",
                            "must not exceed VMESTE_JOB_MAX_BACKOFF_MS")
    max_retries = integer(env, "VMESTE_JOB_MAX_RETRIES", 8, 0, 100)
    redeliver = integer(env, "VMESTE_OUTBOX_REDELIVER_SECONDS", 3600, 60, 30 * 86_400)
    horizon = retry_horizon_seconds(max_retries, min_backoff, max_backoff)
    if redeliver <= horizon:
        # A job still waiting for its backoff would be relayed again: two retry chains.
        raise SettingsError("VMESTE_OUTBOX_REDELIVER_SECONDS",
                            f"must exceed the retries' backoff horizon ({horizon:.0f} s, from "
                            "VMESTE_JOB_MAX_RETRIES and VMESTE_JOB_*_BACKOFF_MS)")
    lease = integer(env, "VMESTE_DELIVERY_LEASE_SECONDS", 60, 5, 3600)
    notify_timeout = integer(env, "VMESTE_NOTIFY_TIMEOUT_SECONDS", 10, 1, 300)
    if lease < 2 * notify_timeout:
        raise SettingsError("VMESTE_DELIVERY_LEASE_SECONDS",
                            "must be at least twice VMESTE_NOTIFY_TIMEOUT_SECONDS")
    max_cost = integer(env, "VMESTE_GRAPHQL_MAX_COST", 50_000, 1, 100_000_000)
    max_cost_anonymous = integer(env, "VMESTE_GRAPHQL_MAX_COST_ANONYMOUS", 20_000, 1, 100_000_000)
    if max_cost_anonymous > max_cost:
        raise SettingsError("VMESTE_GRAPHQL_MAX_COST_ANONYMOUS",
                            "must not exceed VMESTE_GRAPHQL_MAX_COST")
    return Settings(
        database_url=url(
            env,
            "VMESTE_DATABASE_URL",
            f"sqlite://{(data_dir / 'vmeste.sqlite3').as_posix()}",
            _DB_SCHEMES,
        ),
        broker_url=broker_url,
        locale=_locale(env),
        secret_key=secret_key,
        dev_mode=dev_mode,
        environment=choice(env, "VMESTE_ENV", "development", ("development", "production")),
        production_allow=_production_allow(env),
        graphiql=flag(env, "VMESTE_GRAPHIQL", dev_mode),
        log_format=choice(env, "VMESTE_LOG_FORMAT", "text" if dev_mode else "json",
                          ("json", "text")),
        log_level=choice(env, "VMESTE_LOG_LEVEL", "info",
                         ("debug", "info", "warning", "error")).upper(),
        metrics=flag(env, "VMESTE_METRICS", True),
        data_dir=data_dir,
        hearing_attachment_max_bytes=integer(env, "VMESTE_HEARING_ATTACHMENT_MAX_BYTES",
                                             20 * 1024**2, 1024, 1024**3),
        attachment_max_bytes=integer(env, "VMESTE_ATTACHMENT_MAX_BYTES", 10 * 1024**2, 1024,
                                     1024**3),
        attachment_max_per_parent=integer(env, "VMESTE_ATTACHMENT_MAX_PER_PARENT", 10, 1,
                                          MAX_FILES_PER_PARENT),
        attachment_max_unattached=integer(env, "VMESTE_ATTACHMENT_MAX_UNATTACHED", 20, 1, 10_000),
        attachment_types=_attachment_types(env),
        attachment_unattached_hours=integer(env, "VMESTE_ATTACHMENT_UNATTACHED_HOURS", 24, 1,
                                            24 * 365),
        attachment_url_seconds=integer(env, "VMESTE_ATTACHMENT_URL_SECONDS", 900, 10, 86_400),
        attachment_storage=identifier(env, "VMESTE_ATTACHMENT_STORAGE", "local"),
        attachment_concurrent_uploads=integer(env, "VMESTE_ATTACHMENT_CONCURRENT_UPLOADS", 8,
                                              1, 1024),
        attachment_image_workers=integer(env, "VMESTE_ATTACHMENT_IMAGE_WORKERS", 2, 1, 64),
        oidc_issuer=env.get("VMESTE_OIDC_ISSUER", "").strip(),
        oidc_jwks_url=http_url(env, "VMESTE_OIDC_JWKS_URL"),
        oidc_audience=env.get("VMESTE_OIDC_AUDIENCE", "").strip() or "vmeste",
        oidc_authorization_url=http_url(env, "VMESTE_OIDC_AUTHORIZATION_URL"),
        oidc_token_url=http_url(env, "VMESTE_OIDC_TOKEN_URL"),
        oidc_client_id=env.get("VMESTE_OIDC_CLIENT_ID", "").strip() or "vmeste-widget",
        allowed_origins=origins,
        default_page_size=default_page,
        max_page_size=max_page,
        max_query_depth=integer(env, "VMESTE_MAX_QUERY_DEPTH", 12, 2, 100),
        max_query_tokens=integer(env, "VMESTE_MAX_QUERY_TOKENS", 5000, 100, 1_000_000),
        max_aliases=integer(env, "VMESTE_MAX_ALIASES", 30, 1, 10_000),
        compiled_reads=flag(env, "VMESTE_COMPILED_READS", True),
        read_plan_cache=integer(env, "VMESTE_READ_PLAN_CACHE", 1000, 0, 1_000_000),
        max_request_bytes=integer(env, "VMESTE_MAX_REQUEST_BYTES", 262_144, 1024, 64 * 1024**2),
        graphql_max_cost=max_cost,
        graphql_max_cost_anonymous=max_cost_anonymous,
        max_inflight=integer(env, "VMESTE_MAX_INFLIGHT", 64, 1, 100_000),
        inflight_wait_ms=integer(env, "VMESTE_INFLIGHT_WAIT_MS", 200, 0, 60_000),
        introspection=flag(env, "VMESTE_INTROSPECTION", True),
        plugins=listed(env, "VMESTE_PLUGINS"),
        disable_plugins=listed(env, "VMESTE_DISABLE_PLUGINS") or (),
        policy_cache_seconds=integer(env, "VMESTE_POLICY_CACHE_SECONDS", 2, 0, 3600),
        auth_cache_seconds=integer(env, "VMESTE_AUTH_CACHE_SECONDS", 30, 0, 3600),
        smtp_url=_smtp_url(env),
        smtp_from=env.get("VMESTE_SMTP_FROM", "").strip() or "noreply@vmeste.localhost",
        delivery_lease_seconds=lease,
        notify_timeout_seconds=notify_timeout,
        webhook_allow_private=flag(env, "VMESTE_WEBHOOK_ALLOW_PRIVATE", False),
        job_max_retries=max_retries,
        job_min_backoff_ms=min_backoff,
        job_max_backoff_ms=max_backoff,
        relay_interval_ms=integer(env, "VMESTE_RELAY_INTERVAL_MS", 500, 10, 600_000),
        relay_batch_size=integer(env, "VMESTE_RELAY_BATCH_SIZE", 200, 1, 10_000),
        watchdog_interval_seconds=integer(env, "VMESTE_WATCHDOG_INTERVAL_SECONDS", 60, 1, 86_400),
        outbox_redeliver_seconds=redeliver,
        outbox_retention_days=integer(env, "VMESTE_OUTBOX_RETENTION_DAYS", 7, 1, 3650),
        queue_prefix=identifier(env, "VMESTE_QUEUE_PREFIX", "vmeste"),
        worker_threads=integer(env, "VMESTE_WORKER_THREADS", 4, 1, 64),
        # Only the in-process broker needs an in-process worker; with RabbitMQ or Redis
        # the workers are their own processes (``vmeste worker``).
        embedded_workers=flag(env, "VMESTE_EMBEDDED_WORKERS", broker_url.startswith("memory")),
        auth_max_token_lifetime_seconds=duration(env, "VMESTE_AUTH_MAX_TOKEN_LIFETIME", 86_400,
                                                  60, 30 * 86_400),
        ws_max_connections_per_principal=integer(env, "VMESTE_WS_MAX_CONNECTIONS_PER_PRINCIPAL",
                                              5, 1, 10_000),
        ws_recheck_seconds=integer(env, "VMESTE_WS_RECHECK_SECONDS", 30, 1, 3600),
        ws_max_subscriptions_per_connection=integer(
            env, "VMESTE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION", 10, 1, 1000),
        rate_limits=flag(env, "VMESTE_RATE_LIMITS", True),
        rate_limit_anonymous=rate(env, "VMESTE_RATE_LIMIT_ANONYMOUS", "120/minute"),
        rate_limit_reads=rate(env, "VMESTE_RATE_LIMIT_READS", "600/minute"),
        rate_limit_mutations=rate(env, "VMESTE_RATE_LIMIT_MUTATIONS", "120/minute"),
        rate_limit_auth_failures=rate(env, "VMESTE_RATE_LIMIT_AUTH_FAILURES", "30/minute"),
        rate_limit_storage_url=_rate_storage(env),
        trusted_proxies=networks(env, "VMESTE_TRUSTED_PROXIES"),
        health_port=integer(env, "VMESTE_HEALTH_PORT", 0, 0, 65_535),
        health_host=env.get("VMESTE_HEALTH_HOST", "").strip() or "0.0.0.0",
        health_interval_seconds=integer(env, "VMESTE_HEALTH_INTERVAL_SECONDS", 5, 1, 300),
        health_dependency_grace_seconds=integer(env, "VMESTE_HEALTH_DEPENDENCY_GRACE_SECONDS",
                                             300, 0, 86_400),
        ballot_key=env.get("VMESTE_BALLOT_KEY", "").strip(),
        claim_code_days=integer(env, "VMESTE_CLAIM_CODE_DAYS", 30, 1, 366),
        claim_attempts_per_hour=integer(env, "VMESTE_CLAIM_ATTEMPTS_PER_HOUR", 5, 1, 100),
        tally_shards=integer(env, "VMESTE_TALLY_SHARDS", 8, 1, 256),
        age_bands=age_bands(env, "VMESTE_AGE_BANDS"),
        min_group_size=integer(env, "VMESTE_MIN_GROUP_SIZE", 10, 1, 10_000),
        vote_spike_min_ballots=integer(env, "VMESTE_VOTE_SPIKE_MIN_BALLOTS", 30, 1, 10_000_000),
        vote_spike_deviations=integer(env, "VMESTE_VOTE_SPIKE_DEVIATIONS", 8, 1, 1000),
        vote_spike_window_minutes=integer(env, "VMESTE_VOTE_SPIKE_WINDOW_MINUTES", 60, 5,
                                          7 * 1440),
        vk_api_url=url(env, "VMESTE_VK_API_URL", "https://api.vk.com/method", _HTTP),
        ok_api_url=url(env, "VMESTE_OK_API_URL", "https://api.ok.ru/fb.do", _HTTP),
        telegram_api_url=url(env, "VMESTE_TELEGRAM_API_URL", "https://api.telegram.org", _HTTP),
        vk_env_prefix=_env_prefix(env, "VMESTE_VK_ENV_PREFIX", "VMESTE_VK"),
        ok_env_prefix=_env_prefix(env, "VMESTE_OK_ENV_PREFIX", "VMESTE_OK"),
        telegram_env_prefix=_env_prefix(env, "VMESTE_TELEGRAM_ENV_PREFIX",
                                                "VMESTE_TELEGRAM"),
        data_export_days=integer(env, "VMESTE_DATA_EXPORT_DAYS", 7, 1, 365),
        data_export_link_minutes=integer(env, "VMESTE_DATA_EXPORT_LINK_MINUTES", 15, 1, 1440),
        erasure_cooling_off_days=integer(env, "VMESTE_ERASURE_COOLING_OFF_DAYS", 14, 0, 365),
        retention_appeals_days=integer(env, "VMESTE_RETENTION_APPEALS_DAYS", 1827, 1, 36_525),
        retention_notifications_days=integer(env, "VMESTE_RETENTION_NOTIFICATIONS_DAYS", 365,
                                             1, 36_525),
        retention_sweep_hours=integer(env, "VMESTE_RETENTION_SWEEP_HOURS", 24, 1, 24 * 31),
    )

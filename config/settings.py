"""Settings for every part of jemput.

One model, built once at the CLI entry and passed down. Sources, highest priority first:

1. command-line flags (applied by the CLI as init values),
2. environment variables: prefix ``JEMPUT_``, nested sections joined with ``__``
   (``JEMPUT_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:9092``),
3. a TOML file given with ``--config`` or ``JEMPUT_CONFIG``,
4. the defaults written here (every field documents itself; ``docs/settings.md`` is generated from
   these descriptions and a test fails when it is out of date).

Nothing here reads the environment on import: call :func:`load_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "jemput"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class KafkaSettings(_Section):
    bootstrap_servers: str | None = Field(
        None,
        description="Comma-separated Kafka bootstrap servers (host:port). When unset, jemput uses the embedded "
        "single-process transport in the data directory instead of Kafka.",
    )
    client_id: str = Field("jemput", description="Client id reported to the broker (the stage name is appended).")
    group_prefix: str = Field(
        "jemput", description="Consumer groups are named '<group_prefix>.<stage>'; one group per stage."
    )
    topic_prefix: str = Field(
        "",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prefix added to every topic name on the broker (e.g. 'staging.'), so several deployments "
        "can share one cluster.",
    )
    partitions: int = Field(
        6, ge=1, description="Partitions for topics jemput creates itself (the most consumers one stage can use)."
    )
    replication_factor: int = Field(1, ge=1, description="Replication factor for topics jemput creates itself.")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="Kafka security protocol."
    )
    sasl_mechanism: str | None = Field(None, description="SASL mechanism (PLAIN, SCRAM-SHA-256, ...) when SASL is used.")
    sasl_username: str | None = Field(None, description="SASL user name.")
    sasl_password: SecretStr | None = Field(None, description="SASL password (secret; masked in 'config show').")
    session_timeout_ms: int = Field(
        10000, ge=1000, description="Consumer group session timeout; a dead consumer's partitions move after this."
    )
    heartbeat_interval_ms: int = Field(1000, ge=100, description="Consumer heartbeat interval.")
    max_poll_interval_ms: int = Field(
        300000, ge=1000, description="Longest time between polls before the consumer is considered stuck."
    )
    request_timeout_ms: int = Field(30000, ge=1000, description="Producer/consumer request timeout.")
    linger_ms: int = Field(
        100, ge=0, description="Producer linger: how long to wait to fill a batch. Every jemput producer flushes "
        "after its batch, which sends at once; the linger only keeps part-filled batches from going out (as more, "
        "smaller requests) while a stage is still producing its batch."
    )


class EmbeddedSettings(_Section):
    log_path: Path | None = Field(
        None,
        description="SQLite file holding the embedded transport's topics and committed offsets. "
        "Default: <data_dir>/log.sqlite3.",
    )
    retention_hours: float = Field(
        168.0,
        ge=0,
        description="Records every consumer group has committed past are deleted after this many hours "
        "(0 keeps them forever).",
    )


class DatabaseSettings(_Section):
    url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the ticket store, e.g. postgresql+psycopg://user:pw@host/jemput. "
        "Default: SQLite at <data_dir>/tickets.sqlite3. Secret because it may carry a password.",
    )
    echo: bool = Field(False, description="Log every SQL statement (debugging only).")
    pool_size: int = Field(5, ge=1, description="Connection pool size for server databases.")
    connect_timeout_s: float = Field(10.0, gt=0, description="Seconds to wait when connecting to the database.")


class RunnerSettings(_Section):
    batch_size: int = Field(500, ge=1, description="Most records a stage takes from its topic in one poll.")
    poll_timeout_s: float = Field(0.5, gt=0, description="How long one poll waits for records.")
    max_attempts: int = Field(
        5, ge=1, description="Attempts for a transient failure before the message is dead-lettered."
    )
    backoff_initial_s: float = Field(0.2, ge=0, description="First retry delay; it doubles on every attempt.")
    backoff_max_s: float = Field(30.0, ge=0, description="Upper bound of one retry delay.")
    backoff_jitter: float = Field(
        0.5, ge=0, le=1, description="Random fraction of the delay added or removed, so retries do not align."
    )
    max_message_bytes: int = Field(
        262144,
        ge=1024,
        description="Records larger than this are dead-lettered as permanent errors before decoding.",
    )
    max_dead_letter_bytes: int = Field(
        1_000_000,
        ge=1024,
        description="Dead letters keep the original bytes up to this size; a longer record keeps its first bytes "
        "and a header with its full size (so a dead letter always fits a broker's default 1 MB limit).",
    )
    idle_grace_s: float = Field(
        1.0, ge=0, description="With --until-idle: how long every topic must stay drained before jemput exits."
    )


class MetricsSettings(_Section):
    enabled: bool = Field(False, description="Serve Prometheus metrics and a health check over HTTP.")
    host: str = Field("127.0.0.1", description="Address the metrics/health server binds to.")
    port: int = Field(9464, ge=0, le=65535, description="Port of the metrics/health server (0: any free port).")


class PrivacySettings(_Section):
    author_hash_key: SecretStr = Field(
        SecretStr("change-me-in-production"),
        description="Key of the keyed hash (HMAC-SHA256) that turns handles and phone numbers into author_ref. "
        "Set a long random value in production and keep it stable, or reporters stop matching across time.",
    )


class ClassifierSettings(_Section):
    review_threshold: float = Field(
        0.6, ge=0, le=1, description="Messages classified with confidence below this are flagged needs_review."
    )
    model_dir: Path | None = Field(
        None,
        description="Directory of a model trained with 'jemput classifier train'. Default: the model shipped "
        "inside the classifier package.",
    )
    dismiss_threshold: float = Field(
        0.0, ge=0, le=1,
        description="A message is classified not_complaint only when that label's score reaches this; below it, "
        "it gets its most likely complaint label with that label's (low) confidence, so it goes to review instead "
        "of being dismissed. 0 = plain most-likely label. Raise it (e.g. 0.9) to miss fewer real complaints at "
        "the cost of more review work.",
    )


class GeocodingServiceSettings(_Section):
    enabled: bool = Field(
        False,
        description="Ask a geocoding service (through geopy) for what the gazetteer cannot place. Off by default: "
        "no network traffic unless an operator turns it on.",
    )
    provider: Literal["nominatim", "photon"] = Field(
        "nominatim", description="Geocoding service API: nominatim (self-hosted or public) or photon."
    )
    url: str = Field(
        "https://nominatim.openstreetmap.org",
        description="Base URL of the service (scheme, host and port), e.g. http://nominatim.internal:8080. The public "
        "Nominatim allows at most one request a second and needs a real user_agent.",
    )
    user_agent: str = Field(
        "jemput-geocoder (set geocoder.service.user_agent to your contact)",
        min_length=3,
        description="User-Agent sent to the service; public Nominatim asks for one naming the application and a contact.",
    )
    timeout_s: float = Field(5.0, gt=0, le=120, description="Timeout of one request to the service.")
    min_delay_s: float = Field(
        1.0, ge=0, description="Least time between two requests (rate limit); keep >= 1 for public Nominatim."
    )
    max_retries: int = Field(1, ge=0, le=5, description="Retries of a failed request before giving up on it.")
    cache: Path | None = Field(
        None,
        description="SQLite file caching answers (and 'not found') by query. Default: <data_dir>/geocode_cache.sqlite3.",
    )
    cache_days: float = Field(
        90.0, gt=0, description="Days a cached answer is used before the service is asked again."
    )


class GeocoderSettings(_Section):
    gazetteer: Path | None = Field(
        None,
        description="Gazetteer pack built by 'jemput gazetteer build'. Default: <data_dir>/gazetteer.json; "
        "when absent the geocoder only recognises the six kota by name.",
    )
    boundary_tolerance_m: float = Field(
        100.0,
        ge=0,
        le=2000,
        description="A GPS or service point outside every kelurahan polygon but within this many metres of one is "
        "placed in the nearest (the polygons are simplified; points on the coast and at the edge fall just outside).",
    )
    min_evidence: int = Field(
        2,
        ge=0,
        le=5,
        description="Least evidence a place read from the words needs to be given below its kota; a weaker reading "
        "is given only its kota (precision 'kota', so the ticket still reaches the kota's desk), or no place when "
        "even the kota is doubtful. Scores: 0 weak (a name that is also a common word or a place elsewhere), "
        "1 bare (an area's name alone), 2 named (an area's name with its kota or 'Jakarta' next to it; a street "
        "or landmark), 3 address or stop (two names that agree; 'Halte X', 'Stasiun Y'), 4 marked ('Kel. X', "
        "'Kecamatan Y', an RW). One point less for names only in hashtags, a city outside DKI in the text, "
        "contradicting names, or two or more other places named. 0 keeps every reading; 5 gives only kota.",
    )
    service: GeocodingServiceSettings = Field(
        default_factory=GeocodingServiceSettings, description="Geocoding service fallback (geopy)."
    )


class SinkSettings(_Section):
    batch_size: int = Field(500, ge=1, description="Tickets written in one transaction.")


class ApiKeySettings(_Section):
    name: str = Field(
        ..., min_length=1, max_length=64,
        description="Who holds the key (recorded as the actor of the changes an operator makes with it).",
    )
    key: SecretStr = Field(
        ..., min_length=12,
        description="The key itself (at least 12 characters; use a long random one), sent as 'X-API-Key' or "
        "'Authorization: Bearer' (secret).",
    )
    role: Literal["analyst", "operator"] = Field(
        "analyst", description="analyst: reads every ticket, statistic and export; operator: also updates tickets."
    )


class DeskSettings(_Section):
    host: str = Field("127.0.0.1", description="Address 'jemput api' binds to.")
    port: int = Field(8080, ge=0, le=65535, description="Port of 'jemput api' (0: any free port).")
    api_keys: list[ApiKeySettings] = Field(
        default_factory=list,
        description="API keys with roles, e.g. JEMPUT_DESK__API_KEYS='[{\"name\": \"ops-gambir\", \"key\": \"...\", "
        "\"role\": \"operator\"}]'. Without any key only the public endpoints (Open311, the page) answer.",
    )
    routing_table: Path | None = Field(
        None,
        description="TOML routing table (category, optionally kota/kecamatan and keywords -> agency). "
        "Default: the table shipped with jemput (sink/routing_default.toml).",
    )
    page_size: int = Field(50, ge=1, description="Tickets per page when the request does not say.")
    max_page_size: int = Field(500, ge=1, description="Row cap: most tickets one page of the API or CLI returns.")
    statement_timeout_s: float = Field(
        30.0, gt=0, description="Time limit of one read query on PostgreSQL (exports excepted; they stream)."
    )
    public_max_rows: int = Field(
        1000, ge=1, description="Most requests one Open311 or public-page answer carries."
    )
    incident_radius_m: float = Field(
        500.0, gt=0, description="Reports of the same category within this many metres (or in the same kelurahan) "
        "may be one incident."
    )
    incident_window_h: float = Field(
        72.0, gt=0, description="... and reported within this many hours of the incident's last report."
    )
    incident_min_similarity: float = Field(
        0.15, ge=0, le=1, description="... and whose words overlap at least this much (Jaccard) with the incident's."
    )
    incident_interval_s: float = Field(
        60.0, ge=0, description="'jemput api' groups new tickets into incidents this often (0: only on request, "
        "with 'jemput desk group-incidents' or POST /api/v1/incidents/group)."
    )


class _Source(_Section):
    enabled: bool = Field(False, description="Poll this source on a schedule in 'jemput harvest run'.")
    interval_s: float = Field(60.0, gt=0, description="Seconds between polls.")
    jitter_s: float = Field(5.0, ge=0, description="Random delay added to each poll so sources do not align.")
    timeout_s: float = Field(20.0, gt=0, description="Timeout of one request to the provider.")
    max_pages: int = Field(
        10, ge=1, description="Most pages one scheduled poll follows when the provider has more at once "
        "(the rest come at the next poll, from the saved cursor)."
    )


class TwitterSettings(_Source):
    bearer_token: SecretStr | None = Field(None, description="X API v2 app bearer token (secret).")
    queries: list[str] = Field(
        default_factory=list,
        description="Recent-search queries, e.g. '(banjir OR sampah) jakarta -is:retweet lang:id' or '@DKIJakarta'.",
    )
    mentions_of: str | None = Field(
        None, description="User id (numeric) of a city account whose mentions are polled "
        "(GET /2/users/:id/mentions); its own tweets are skipped."
    )
    max_results: int = Field(100, ge=10, le=100, description="Tweets per page (10-100).")
    retweets: Literal["original", "skip"] = Field(
        "original",
        description="A pure retweet becomes its original tweet (message id of the original, so it joins the "
        "original's ticket) with 'original', or is skipped with 'skip'. Quotes are always kept as their own message.",
    )
    backfill_hours: float = Field(
        24.0, ge=0, le=168,
        description="On the first poll of a query (no cursor yet) fetch tweets from this many hours back "
        "(recent search reaches at most 7 days); 0 starts from the newest tweets only.",
    )
    stream: bool = Field(
        False,
        description="In 'harvest run', also follow the filtered stream (GET /2/tweets/search/stream; the queries "
        "become its rules), so tweets arrive as they are posted. The recent-search poll still runs every interval_s "
        "(set it long, e.g. 900) and at every (re)connect of the stream, to fill gaps and to poll mentions_of.",
    )
    stream_rule_tag: str = Field(
        "jemput", min_length=1, description="Tag of the stream rules jemput manages (rules with other tags are left "
        "alone; jemput's own are added and removed to match the queries)."
    )
    api_base_url: str = Field("https://api.twitter.com", description="X API base URL (a replay server in tests).")


class SmsReceiverSettings(_Section):
    enabled: bool = Field(False, description="Run the inbound-SMS webhook receiver in 'jemput harvest run'.")
    host: str = Field("127.0.0.1", description="Address the receiver listens on.")
    port: int = Field(8081, ge=0, le=65535, description="Port the receiver listens on (0: any free port).")
    public_url: str | None = Field(
        None,
        description="Public base URL of the receiver as providers see it, e.g. https://sms.example.go.id (a proxy "
        "in front must pass the path on unchanged). Twilio signs the full URL it posts to, so Twilio is told "
        "<public_url>/sms/twilio and the signature is checked against exactly that. Unset: http://<Host header>.",
    )
    twilio_auth_token: SecretStr | None = Field(
        None, description="Twilio auth token that signs X-Twilio-Signature; enables POST /sms/twilio (secret)."
    )
    hmac_secret: SecretStr | None = Field(
        None,
        description="Shared secret of the generic JSON webhook's X-Jemput-Signature (HMAC-SHA256); enables "
        "POST /sms/json (secret).",
    )
    json_gateway: str = Field(
        "gateway",
        pattern=r"^[a-z0-9][a-z0-9_]*$",
        description="Name of the gateway posting to /sms/json; message ids are 'sms:<json_gateway>-<id>'. Keep it "
        "stable: changing it changes every id (and so breaks de-duplication of replays).",
    )
    require_timestamp: bool = Field(
        False,
        description="Refuse JSON webhooks without X-Jemput-Timestamp (a signed Unix time bounding replays).",
    )
    max_clock_skew_s: float = Field(
        300.0, gt=0, description="A JSON webhook whose X-Jemput-Timestamp is further than this from our clock is "
        "refused (401).",
    )
    max_body_bytes: int = Field(65536, ge=1024, description="Larger request bodies are refused with 413.")
    request_timeout_s: float = Field(
        10.0, gt=0, description="A client that sends nothing for this long is disconnected (slow clients)."
    )
    flush_timeout_s: float = Field(
        10.0, gt=0, description="How long a webhook waits for the transport to store its message; after that (or "
        "on a transport error) it answers 503 and the gateway retries.",
    )


class GammuSettings(_Source):
    database_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the Gammu SMSD database whose 'inbox' table is polled, e.g. "
        "postgresql+psycopg://smsd:...@host/smsd or sqlite:////var/lib/gammu/smsd.db (secret).",
    )
    batch_size: int = Field(500, ge=1, description="Most inbox rows taken per poll.")
    timezone: str = Field(
        "Asia/Jakarta",
        description="Time zone of the inbox's ReceivingDateTime (Gammu stores the modem host's local time "
        "without a zone).",
    )
    multipart_wait_s: float = Field(
        600.0,
        ge=0,
        description="A concatenated (multipart) SMS whose parts are not all in the inbox is held back this long, "
        "then passed on with the parts that arrived (marked incomplete in raw).",
    )
    mark_processed: bool = Field(
        True,
        description="Read rows with Processed = false and set it to true once they are on the raw topic. Off: "
        "never write to the Gammu database and read the rows after the saved cursor's ID instead (for an inbox "
        "another application marks).",
    )


class RestInboxSettings(_Source):
    url: str | None = Field(None, description="URL of a gateway's REST inbox returning JSON messages.")
    token: SecretStr | None = Field(None, description="Bearer token for the inbox (secret).")
    items_path: str = Field("messages", description="Dotted path to the list of messages in the response.")
    field_map: dict[str, str] = Field(
        default_factory=lambda: {"id": "id", "text": "text", "from": "from", "posted_at": "received_at"},
        description="Our field -> the gateway's field (dotted paths allowed). Ours: id and text (required), "
        "from (the sender's number: hashed into author_ref, masked in raw), posted_at (ISO 8601 or Unix seconds).",
    )
    cursor_param: str = Field("since_id", description="Query parameter carrying the cursor.")
    cursor_field: str = Field(
        "id", description="Our field (a key of field_map) whose highest value in a page becomes the cursor."
    )
    next_cursor_path: str | None = Field(
        None, description="Dotted path to a cursor the gateway returns itself (used instead of cursor_field)."
    )
    limit_param: str | None = Field("limit", description="Query parameter carrying the page size (none: not sent).")
    page_size: int = Field(
        100, ge=1, description="Messages asked for per page; a full page means more are waiting."
    )
    id_prefix: str = Field(
        "inbox-", pattern=r"^[A-Za-z0-9._-]*$",
        description="Put before the gateway's message id (message ids are 'sms:<prefix><id>'), so ids of "
        "different SMS sources never collide.",
    )


class EmailSettings(_Source):
    host: str | None = Field(None, description="IMAP server host.")
    port: int = Field(993, ge=1, le=65535, description="IMAP port (993 with TLS, 143 plain or STARTTLS).")
    security: Literal["ssl", "starttls", "none"] = Field(
        "ssl",
        description="Connection security: ssl (IMAPS, usually port 993), starttls (plain connection upgraded to TLS "
        "before login, usually port 143) or none (plain text: loopback or a trusted network only).",
    )
    username: str | None = Field(None, description="IMAP user name.")
    password: SecretStr | None = Field(None, description="IMAP password (secret).")
    folder: str = Field("INBOX", description="Mailbox folder to read (ASCII name).")
    batch_size: int = Field(200, ge=1, description="Most messages fetched per poll.")
    ca_file: Path | None = Field(
        None, description="PEM file of the CA that signed the server's certificate (default: the system's CAs)."
    )
    mark_seen: bool = Field(
        False, description="Flag harvested mail \\Seen once it is on the raw topic (off: the mailbox is not changed)."
    )
    max_message_bytes: int = Field(
        25_000_000,
        ge=1024,
        description="Mail larger than this is not downloaded whole: only its headers (the message says so).",
    )


class TelegramSettings(_Source):
    bot_token: SecretStr | None = Field(None, description="Telegram bot token from @BotFather (secret).")
    api_base_url: str = Field("https://api.telegram.org", description="Bot API base URL (a local server in tests).")
    long_poll_s: int = Field(
        25, ge=0, le=50, description="getUpdates long-polling timeout (the request timeout is this plus timeout_s)."
    )
    allowed_updates: list[str] = Field(
        default_factory=lambda: ["message", "channel_post"],
        description="Update kinds asked for (Bot API 'allowed_updates').",
    )
    page_size: int = Field(100, ge=1, le=100, description="Updates asked for per getUpdates call (1-100).")


class AppFeedSettings(_Source):
    url: str | None = Field(None, description="URL of a citizen-app JSON feed (Qlue-style).")
    token: SecretStr | None = Field(None, description="Bearer token for the feed (secret).")
    items_path: str = Field("data", description="Dotted path to the list of reports in the response.")
    field_map: dict[str, str] = Field(
        default_factory=lambda: {"id": "id", "text": "description", "posted_at": "created_at", "lat": "lat",
                                 "lon": "lng", "photo": "photo_url", "author": "user_id"},
        description="Our field -> the feed's field (dotted paths allowed). Ours: id and text (required), posted_at "
        "(ISO 8601 or Unix seconds), lat and lon (-> gps), accuracy (metres), photo (a URL or a list of URLs -> "
        "media), author (hashed into author_ref), lang.",
    )
    cursor_param: str = Field("since", description="Query parameter carrying the cursor.")
    cursor_field: str = Field(
        "id", description="Our field (a key of field_map) whose highest value in a page becomes the cursor."
    )
    next_cursor_path: str | None = Field(
        None, description="Dotted path to a cursor the feed returns itself (used instead of cursor_field)."
    )
    limit_param: str | None = Field("limit", description="Query parameter carrying the page size (none: not sent).")
    page_size: int = Field(100, ge=1, description="Reports asked for per page; a full page means more are waiting.")
    id_prefix: str = Field(
        "", pattern=r"^[A-Za-z0-9._-]*$",
        description="Put before the feed's report id (message ids are 'app:<prefix><id>'), e.g. 'qlue-' when "
        "several apps are harvested.",
    )


class HarvesterSettings(_Section):
    twitter: TwitterSettings = Field(default_factory=TwitterSettings, description="Twitter/X recent search.")
    sms: SmsReceiverSettings = Field(default_factory=SmsReceiverSettings, description="Inbound SMS webhooks.")
    gammu: GammuSettings = Field(default_factory=GammuSettings, description="Gammu SMSD inbox table.")
    rest_inbox: RestInboxSettings = Field(default_factory=RestInboxSettings, description="Generic REST SMS inbox.")
    email: EmailSettings = Field(default_factory=EmailSettings, description="E-mail over IMAP.")
    telegram: TelegramSettings = Field(default_factory=TelegramSettings, description="Telegram bot getUpdates.")
    app: AppFeedSettings = Field(default_factory=AppFeedSettings, description="Citizen-app feed.")
    failure_backoff_max_s: float = Field(
        900.0, gt=0, description="A failing source is retried with doubling delays up to this many seconds."
    )
    rate_limit_wait_max_s: float = Field(
        60.0, ge=0,
        description="A provider's 'come back in N seconds' (429 with a reset time) up to this long is waited out "
        "within the poll; a longer one ends the poll and the source's next poll is scheduled for then.",
    )
    shutdown_timeout_s: float = Field(
        60.0, gt=0, description="On SIGTERM/SIGINT, how long 'harvest run' waits for the polls in hand to finish."
    )


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    format: Literal["auto", "json", "text"] = Field(
        "auto", description="Log format: json for services, text on a terminal; auto picks by whether stderr is a TTY."
    )


class Settings(BaseSettings):
    """All of jemput's settings."""

    model_config = SettingsConfigDict(
        env_prefix="JEMPUT_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory for the embedded transport's log, the SQLite ticket store and the gazetteer pack. "
        "Default: $XDG_DATA_HOME/jemput or ~/.local/share/jemput.",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, description="Kafka transport.")
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings, description="Embedded transport.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="Ticket store.")
    runner: RunnerSettings = Field(default_factory=RunnerSettings, description="Stage runner.")
    metrics: MetricsSettings = Field(default_factory=MetricsSettings, description="Metrics and health.")
    privacy: PrivacySettings = Field(default_factory=PrivacySettings, description="Privacy.")
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings, description="Classifier stage.")
    geocoder: GeocoderSettings = Field(default_factory=GeocoderSettings, description="Geocoder stage.")
    sink: SinkSettings = Field(default_factory=SinkSettings, description="Sink stage.")
    desk: DeskSettings = Field(default_factory=DeskSettings, description="Ticket desk: routing, HTTP API, keys.")
    harvester: HarvesterSettings = Field(default_factory=HarvesterSettings, description="Harvester sources.")
    log: LogSettings = Field(default_factory=LogSettings, description="Logging.")

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expanduser(str(v)))

    # -- derived values -------------------------------------------------------------------------
    @property
    def uses_kafka(self) -> bool:
        return bool(self.kafka.bootstrap_servers)

    @property
    def embedded_log_path(self) -> Path:
        return self.embedded.log_path or (self.data_dir / "log.sqlite3")

    @property
    def database_url(self) -> str:
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'tickets.sqlite3'}"

    @property
    def gazetteer_path(self) -> Path:
        return self.geocoder.gazetteer or (self.data_dir / "gazetteer.json")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = _TOML_FILE_FOR_LOAD.get("path")
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


# load_settings passes the TOML path through here because pydantic-settings builds sources per class.
_TOML_FILE_FOR_LOAD: dict[str, Path | None] = {"path": None}


class ConfigError(ValueError):
    """The settings are invalid; the message says which field and why."""


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from flags (``overrides``), environment, TOML file and defaults.

    ``config_file`` falls back to ``$JEMPUT_CONFIG``. Raises :class:`ConfigError` with a readable
    message on invalid settings or a missing file.
    """
    from pydantic import ValidationError

    path = config_file or os.environ.get("JEMPUT_CONFIG")
    toml_path: Path | None = None
    if path:
        toml_path = Path(path)
        if not toml_path.is_file():
            raise ConfigError(f"config file not found: {toml_path}")
    _TOML_FILE_FOR_LOAD["path"] = toml_path
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {loc}: {err['msg']}")
        raise ConfigError("invalid settings:\n" + "\n".join(lines)) from None
    except Exception as exc:  # TOML syntax errors and the like
        raise ConfigError(f"cannot read settings: {exc}") from None
    finally:
        _TOML_FILE_FOR_LOAD["path"] = None


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The resolved settings as plain data with every secret replaced by '**********'."""

    def walk(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return "**********"
        if isinstance(value, BaseModel):
            return {name: walk(getattr(value, name)) for name in type(value).model_fields}
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(settings)

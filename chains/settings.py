"""One Settings object, read from the environment (and ``.env``) once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHAINLIT_CI_PLACEHOLDER_KEY = "sk-FAKE-OPENAI-API-KEY"


class Settings(BaseSettings):
    """Every knob OncoGuide reads; ``.env.example`` documents each one."""

    model_config = SettingsConfigDict(env_prefix="ONCOGUIDE_", env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(PROJECT_ROOT / ".oncoguide", description="Index, database and caches.")
    kb_dir: Path = Field(PROJECT_ROOT / "data", description="Knowledge-base documents to ingest.")
    answer_engine: Literal["auto", "composer", "llm"] = Field("auto", description="auto | composer | llm")
    top_k: int = Field(5, description="Passages handed to the answer engine.")
    history_max_tokens: int = Field(1500, description="Conversation memory kept, in tokens.")
    max_message_chars: int = Field(4000, description="Longest patient message accepted.")
    emergency_number: str = Field("911", description="Local emergency number.")
    care_team_line: str = Field(
        "your oncology team's 24-hour phone line (the number is on your treatment card or clinic letters)",
        description="How to reach the care team after hours, with the number, e.g. 'the 24-hour oncology line, "
        "(555) 010-2400'. Urgent replies show it as written; without a number they can only say where to find one.",
    )
    crisis_line: str = Field("988 (Suicide & Crisis Lifeline, US)", description="Crisis line.")
    fever_threshold_c: float = Field(
        38.0,
        ge=37.5,
        le=38.5,
        description="Temperature (°C) that is red during anticancer treatment; 37.5 up to it is amber. "
        "38.0 follows US guidance (NCI, ASCO/IDSA: 100.4 °F); UK services using the UKONS toolkit set 37.5.",
    )
    default_cancer_type: str | None = Field(
        None,
        description="The cancer a deployment is about when the conversation has not named one (a clinic for one "
        "cancer sets it, e.g. 'breast'; an id from chains/cancer_types.yaml). Unset: OncoGuide asks.",
    )
    review_max_age_days: int = Field(365, description="Documents older than this are due review.")

    # Sign-in and persistence (Chainlit app only; the CLI keeps memory per process).
    auth: Literal["password", "none"] = Field(
        "password", description="password | none (anonymous: no history or resume)"
    )
    users_file: Path | None = Field(None, description="JSON file of users and bcrypt hashes.")
    users: str | None = Field(None, description="Users as 'name:bcrypt-hash,...' (instead of a file).")
    database_url: str | None = Field(
        None, validation_alias="DATABASE_URL", description="PostgreSQL URL; default: SQLite in the data dir."
    )
    chroma_url: str | None = Field(
        None,
        validation_alias=AliasChoices("ONCOGUIDE_CHROMA_URL", "CHROMA_URL"),
        description="Chroma server (`chroma run`) holding the index, e.g. http://127.0.0.1:8001; "
        "default: the embedded Chroma in the data dir.",
    )
    file_store: Literal["local", "s3", "none"] = Field(
        "local",
        description="Where a thread's elements (source cards) are kept for resume: local (<data_dir>/files) | "
        "s3 (ONCOGUIDE_FILE_STORE_BUCKET; needs boto3) | none",
    )
    file_store_bucket: str | None = Field(None, description="The bucket for ONCOGUIDE_FILE_STORE=s3.")
    keep_uploads: bool = Field(False, description="Keep uploaded files after reading them.")
    upload_max_mb: float = Field(5.0, description="Largest upload accepted, in MB.")

    # OpenAI-compatible LLM endpoint; unset means the offline composer answers.
    openai_api_key: str | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    openai_model: str = Field("gpt-4o-mini", validation_alias="OPENAI_MODEL")
    llm_timeout_s: float = Field(30.0, description="Seconds before the LLM answer falls back.")
    llm_temperature: float = Field(0.2)
    llm_triage: bool = Field(
        True, description="With an LLM: a second triage opinion that may only raise the urgency, never lower it."
    )
    llm_profile: bool = Field(
        True, description="With an LLM: also extract profile facts with it (validated and grounded; adds only)."
    )

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def users_path(self) -> Path:
        return self.users_file or self.data_dir / "users.json"

    @property
    def sqlalchemy_url(self) -> str:
        """Async SQLAlchemy URL: PostgreSQL when DATABASE_URL is set, else a SQLite file."""
        if self.database_url:
            url = self.database_url
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+asyncpg://" + url[len(prefix) :]
            return url
        return f"sqlite+aiosqlite:///{self.data_dir / 'oncoguide.sqlite3'}"

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self.data_dir / "tiktoken"

    @property
    def llm_enabled(self) -> bool:
        if self.answer_engine == "composer":
            return False
        # `chainlit run` with CI set injects this placeholder key into its own process; it configures nothing.
        api_key = None if self.openai_api_key == CHAINLIT_CI_PLACEHOLDER_KEY else self.openai_api_key
        configured = bool(api_key or self.openai_base_url)
        return self.answer_engine == "llm" or configured


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use."""
    return Settings()

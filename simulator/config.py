"""Settings: CLI flags > environment (ONSITE_*) > the TOML config file > defaults.

The config file is `$ONSITE_CONFIG`, else `config.toml` in the user config directory
(platformdirs). It remembers the candidate profile and the interviewer persona; it never holds
an API key (the OpenAI SDK reads OPENAI_API_KEY from the environment).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from simulator.models import Persona


def config_path() -> Path:
    explicit = os.environ.get("ONSITE_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("onsite")) / "config.toml"


class ProfileSettings(BaseModel):
    name: str = ""
    target_role: str = "research engineer"
    specialization: str = ""
    cv_file: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ONSITE_", env_nested_delimiter="__", extra="ignore", populate_by_name=True
    )

    backend: Literal["offline", "openai"] | None = None
    model: str | None = None
    transcripts_dir: Path = Path("transcripts")
    max_answers: int | None = Field(default=None, ge=1, le=40)
    """A cap on answers per round; unset: from the round's minutes (the clock closes a round)."""
    request_timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    retry_base: float = Field(default=0.5, gt=0)
    """Seconds before the first retry of a failed request; doubled (with jitter) each time."""
    retry_max_wait: float = Field(default=20.0, gt=0)
    """Longest wait between two retries, in seconds (a Retry-After header may ask for less)."""
    retry_deadline: float | None = Field(default=None, gt=0)
    """Seconds after the first attempt when no new attempt starts; default max(120, 2 x timeout)."""
    max_tokens: int = Field(default=1024, ge=64)
    """Token budget of an interviewer turn; reasoning models spend their thinking from it."""
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    """The OpenAI SDK's own variable; never written to the config file or a transcript."""
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    cache_dir: Path | None = None
    """Where the parsed catalog is cached; default: the user cache directory."""
    rescue_dir: Path | None = None
    """Where a transcript goes first when its own folder refuses it (read-only, full)."""
    runner_spare: bool = True
    """Keep one code sandbox started ahead of time, so a submission skips interpreter start-up."""
    editor: str | None = Field(
        default=None, validation_alias=AliasChoices("ONSITE_EDITOR", "VISUAL", "EDITOR")
    )
    """The editor F2 opens; default vi."""
    exit_when_ready: bool = False
    """Benchmarks only: the app leaves as soon as its home screen is ready."""
    ready_file: Path | None = None
    """Benchmarks only: where the app writes the time its home screen was ready."""
    theme: str = "textual-dark"
    persona: Persona = Field(default_factory=Persona)
    profile: ProfileSettings = Field(default_factory=ProfileSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)

    def resolved_backend(self) -> str:
        """The backend named, else openai when an OpenAI key or base URL is set, else offline."""
        if self.backend:
            return self.backend
        if self.openai_api_key or self.openai_base_url:
            return "openai"
        return "offline"

    def api_key(self) -> str | None:
        return self.openai_api_key.get_secret_value() if self.openai_api_key else None


def current() -> Settings:
    """The settings as the environment and the config file give them now, for code that runs
    outside a session (a cache path, a rescue folder, the sandbox pool). A broken config file
    is reported where a command reads its settings; here it means the defaults."""
    try:
        return load_settings()
    except ConfigError:
        return Settings.model_construct()


def color_allowed() -> bool:
    """Colour on a terminal unless NO_COLOR is set or TERM is dumb (the usual conventions)."""
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def system_path() -> str:
    """The PATH a sandboxed child gets (nothing else of this environment reaches it)."""
    return os.environ.get("PATH", "/usr/bin:/bin")


class ConfigError(ValueError):
    """The config file or an ONSITE_* variable cannot be read; str() is one line."""


def load_settings(**overrides: Any) -> Settings:
    """Settings from flags (`overrides`), environment and config file; ConfigError (one line)
    for a config file that is not TOML or an ONSITE_* value that cannot be parsed."""
    from pydantic_settings import SettingsError

    path = config_path()
    if path.exists() and not path.is_file():
        raise ConfigError(f"config file {path} is not a regular file")
    try:
        return Settings(**overrides)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {path} is not valid TOML: {err}") from None
    except SettingsError as err:
        field_name = str(err).split('"')[1] if str(err).count('"') >= 2 else ""
        if field_name and "EnvSettingsSource" in str(err):
            raise ConfigError(
                f"ONSITE_{field_name.upper()} cannot be parsed: give it as JSON, "
                'e.g. ONSITE_PERSONA=\'{"field": "NLP", "style": "skeptical"}\''
            ) from None
        raise ConfigError(f"invalid setting: {str(err).splitlines()[0]}") from None
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror or err}") from None


def read_config_file() -> dict[str, Any]:
    path = config_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def remember(updates: dict[str, Any]) -> Path:
    """Merge `updates` (nested tables allowed) into the config file and write it back."""
    import tomli_w

    data = read_config_file()
    for key, value in updates.items():
        if isinstance(value, dict):
            data.setdefault(key, {}).update({k: v for k, v in value.items() if v is not None})
        elif value is not None:
            data[key] = value
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path

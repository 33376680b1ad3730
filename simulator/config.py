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

from pydantic import BaseModel, Field
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
        env_prefix="ONSITE_", env_nested_delimiter="__", extra="ignore"
    )

    backend: Literal["offline", "openai"] | None = None
    model: str | None = None
    transcripts_dir: Path = Path("transcripts")
    max_answers: int = Field(default=8, ge=1, le=40)
    request_timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    retry_base: float = Field(default=0.5, gt=0)
    """Seconds before the first retry of a failed request; doubled (with jitter) each time."""
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
        if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
            return "openai"
        return "offline"


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

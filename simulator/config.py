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
    max_answers: int | None = Field(default=None, ge=1, le=40)
    """A cap on answers per round; unset: from the round's minutes (the clock closes a round)."""
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

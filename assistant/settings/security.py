"""Who may call the APIs and frame the chat, and whose forwarding headers are believed."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from assistant.settings.origins import OriginError, normalise_origin

# A bearer key shorter than this is guessable rather than secret (secrets.token_urlsafe(32) gives 43).
MIN_API_KEY_CHARS = 16


class SecuritySettings(BaseModel):
    """Portal origins, API keys and trusted proxies, each read comma-separated."""

    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Portal origins (comma-separated) allowed to call the APIs and frame the UI.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        repr=False,
        description="When set (comma-separated), /api/* and /v1/* require `Authorization: Bearer <key>`.",
    )
    page_auth: Literal["none", "keys"] = Field(
        "none",
        description="`keys`: the chat page, every Gradio route, /embed and /gradio.js need one of "
        "ASSISTANT_API_KEYS too, as the password of HTTP basic auth (any user name; browsers ask for it) "
        "or as `Authorization: Bearer <key>`. `none`: they are open (protect them in front, e.g. nginx).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (IP addresses or networks, comma-separated) whose Forwarded and "
        "X-Forwarded-* headers are believed; from anyone else they are removed.",
    )

    @field_validator("allowed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins_as_browsers_send_them(cls, origins: list[str]) -> list[str]:
        """CORS and frame-ancestors match ``Origin`` byte for byte: keep each in that exact form."""
        cleaned: list[str] = []
        for origin in origins:
            try:
                normalised = normalise_origin(origin)
            except OriginError as error:
                raise ValueError(f"ASSISTANT_ALLOWED_ORIGINS: {error}") from None
            if normalised not in cleaned:
                cleaned.append(normalised)
        return cleaned

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """A value that is set but names no key would silently switch the keys off: refuse it."""
        if not isinstance(value, str):
            return value
        keys = [part.strip() for part in value.split(",") if part.strip()]
        if not keys:
            msg = (
                "ASSISTANT_API_KEYS is set but holds no key (it is blank or only commas); give "
                "comma-separated keys, or unset the variable to serve the APIs without keys"
            )
            raise ValueError(msg)
        return keys

    @field_validator("api_keys")
    @classmethod
    def _keys_are_secrets_fit_for_a_header(cls, keys: list[str]) -> list[str]:
        """Each key must travel in ``Authorization: Bearer …`` and be long enough not to be guessed."""
        make_one = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        for number, key in enumerate(keys, start=1):
            which = f"ASSISTANT_API_KEYS: key {number} of {len(keys)}"
            bad = next((i for i, c in enumerate(key) if not "!" <= c <= "~"), None)
            if bad is not None:
                kind = "a space" if key[bad].isspace() else "a character outside printable ASCII"
                msg = f"{which} has {kind} at position {bad + 1}; keys travel in an HTTP header: {make_one}"
                raise ValueError(msg)
            if len(key) < MIN_API_KEY_CHARS:
                msg = (
                    f"{which} is {len(key)} characters long; a key needs at least {MIN_API_KEY_CHARS} "
                    f"random characters: {make_one}"
                )
                raise ValueError(msg)
        return keys

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, proxies: list[str]) -> list[str]:
        """Addresses, not names: the check runs on the connecting IP, and a name could resolve to anyone."""
        networks: list[str] = []
        for proxy in proxies:
            try:
                networks.append(str(ipaddress.ip_network(proxy, strict=False)))
            except ValueError:
                msg = (
                    f"ASSISTANT_TRUSTED_PROXIES: {proxy!r} is not an IP address or network; give the "
                    "address your reverse proxy connects from, e.g. 127.0.0.1 or 10.0.0.0/8 "
                    "(host names and '*' are not accepted)"
                )
                raise ValueError(msg) from None
        return networks

    @model_validator(mode="after")
    def _page_keys_need_keys(self) -> Self:
        if self.page_auth == "keys" and not self.api_keys:
            msg = (
                "ASSISTANT_PAGE_AUTH=keys needs ASSISTANT_API_KEYS: the page asks for one of those keys; "
                "set the keys, or ASSISTANT_PAGE_AUTH=none"
            )
            raise ValueError(msg)
        return self

"""The answer prompts' files: the packaged folder, or ``ASSISTANT_PROMPTS_DIR``, read as TOML.

Every answerer reads its phrasing here, so a missing, unreadable or malformed file is one
``PromptError`` saying where it was looked for and what to do, whichever answerer asks.
"""

from __future__ import annotations

import string
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from assistant.errors import PromptError


def packaged_prompts() -> Traversable:
    """The prompts folder shipped as package data (declared in pyproject's package-data)."""
    return resources.files("assistant.answer") / "prompts"


def placeholders(template: str) -> set[str]:
    """Every ``{field}`` of a template; ``{}`` or ``{0}`` show up as names the code never fills."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def read_prompt_file(prompts_dir: Path | None, file_name: str, what: str) -> tuple[dict, str]:
    """``file_name`` of the prompts folder as TOML, and its path; ``what`` names it in messages."""
    folder: Traversable
    if prompts_dir is None:
        folder = packaged_prompts()
        cannot = f"cannot load {what} shipped in the package ({str(folder)!r})"
        fix = f"reinstall article-assistant, or point ASSISTANT_PROMPTS_DIR at a folder holding {file_name}"
    else:
        folder = prompts_dir
        cannot = f"cannot load {what}: ASSISTANT_PROMPTS_DIR={str(prompts_dir)!r}"
        fix = (
            f"copy {file_name} from the project's prompts/ into it, or unset ASSISTANT_PROMPTS_DIR to use "
            "the packaged prompts"
        )
    path = folder / file_name
    if not folder.is_dir():
        elsewhere = (
            f"point ASSISTANT_PROMPTS_DIR at a folder holding {file_name} (a copy of the project's "
            "prompts/), or unset it to use the packaged prompts"
        )
        raise PromptError(f"{cannot} is not a directory; {fix if prompts_dir is None else elsewhere}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), str(path)
    except FileNotFoundError:
        raise PromptError(f"{cannot} has no {file_name}; {fix}") from None
    except OSError as error:
        raise PromptError(f"{cannot}: {str(path)!r} cannot be read ({error.strerror}); {fix}") from None
    except UnicodeDecodeError as error:
        msg = f"{cannot}: {str(path)!r} is not UTF-8 text (offset {error.start}); save it as UTF-8"
        raise PromptError(msg) from None
    except tomllib.TOMLDecodeError as error:
        raise PromptError(f"{cannot}: {str(path)!r} is not valid TOML ({error}); fix that line") from None


def system_and_user(
    prompts_dir: Path | None, file_name: str, what: str, fields: tuple[str, ...]
) -> tuple[str, str]:
    """A prompt file's ``system`` text and ``user`` template, the latter using every one of ``fields``
    (filled by plain replacement, so the texts may hold other braces)."""
    data, path = read_prompt_file(prompts_dir, file_name, what)
    system, user = data.get("system"), data.get("user")
    if not isinstance(system, str) or not system.strip():
        raise PromptError(f"{path}: system is missing (a text is expected)")
    if not isinstance(user, str) or any("{" + name + "}" not in user for name in fields):
        listed = " and ".join("{" + name + "}" for name in fields)
        raise PromptError(f"{path}: user must be a template using {listed}")
    return system.strip(), user.strip()

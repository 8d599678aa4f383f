"""What a call to the chat page's events may carry, read from its Blocks and checked before Gradio sees it.

Gradio trusts the envelope of a call. Sent by hand, ``queue/join`` to an event that runs only in the
browser raises ``IndexError: function has no backend method``; ``event_data: null`` to a handler that
takes event data raises a ``TypeError``; an ``fn_index`` it does not have, a 500; a dropdown value not
among its choices, an error whose message holds the value (200 KB of it once), written to the log with
a traceback and echoed back. Here each is a 400 saying what was wrong, and one log line.

Nothing is written down per event: ``EventRules`` reads the Blocks (which events have a Python
function, which take event data and of which class, the component behind each input) when the page
is mounted, so a new event is checked the moment it exists; an input of a kind this module does not
know stops the server at start-up instead of going unchecked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gradio as gr

# A text box without its own ``max_length`` holds at most what the body may (the guard's body cap).
MAX_TEXT_CHARS = 256 * 1024
# A choice is an article id (at most 80 characters); longer is never one of the choices.
MAX_CHOICE_CHARS = 200
# Gradio ignores what a client sends for a server-side ``gr.State`` (the browser sends null).
MAX_STATE_CHARS = 1024
# Session and event ids are Gradio's short random strings.
MAX_ID_CHARS = 128
# The event data a browser sends (the option or message chosen, the thumb given) is small.
MAX_EVENT_DATA_CHARS = 64 * 1024

QUEUE_JOIN = "/gradio_api/queue/join"
CANCEL = "/gradio_api/cancel"
CALL_PREFIX = "/gradio_api/call/"


@dataclass(frozen=True)
class Slot:
    """One input of an event: its component and how a value for it is checked."""

    component: int
    label: str
    check: Callable[[object, str | None], str | None]  # (value, session) -> what is wrong, or None


@dataclass(frozen=True)
class Event:
    """One event of the page: its inputs, or None when it runs in the browser only."""

    fn_index: int
    name: str
    slots: tuple[Slot, ...] | None
    event_data: tuple[type, ...]  # the ``gr.EventData`` classes its handler takes
    api_name: str | None
    parameters: tuple[str, ...]  # the handler's parameter names, one per input (``/call/v2/`` takes them)


def _kind(value: object) -> str:
    """A JSON value's kind, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _json_chars(value: object) -> int:
    """A cheap upper bound of a JSON value's length, without serialising it."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, list):
        return 2 + sum(_json_chars(item) + 1 for item in value)
    if isinstance(value, dict):
        return 2 + sum(len(str(k)) + 4 + _json_chars(v) for k, v in value.items())
    return len(str(value))


def _text(max_chars: int) -> Callable[[object, str | None], str | None]:
    def check(value: object, session: str | None) -> str | None:
        if value is not None and not isinstance(value, str):
            return f"is {_kind(value)}, not text"
        if value is not None and len(value) > max_chars:
            return f"is {len(value):,} characters long; the limit is {max_chars:,}"
        return None

    return check


def _bounded(max_chars: int) -> Callable[[object, str | None], str | None]:
    def check(value: object, session: str | None) -> str | None:
        size = _json_chars(value)
        return f"is {size:,} characters of JSON; the limit is {max_chars:,}" if size > max_chars else None

    return check


def _choice(blocks: gr.Blocks, component: int) -> Callable[[object, str | None], str | None]:
    """One of the dropdown's choices, as this session sees them (the page updates them per session)."""

    def check(value: object, session: str | None) -> str | None:
        values = value if isinstance(value, list) else [value]
        for one in values:
            if one is None:
                continue
            if isinstance(one, bool) or not isinstance(one, str | int | float):
                return f"is {_kind(one)}, not one of the choices"
            if len(str(one)) > MAX_CHOICE_CHARS:
                return f"is {len(str(one)):,} characters long, longer than any choice"
            if one not in _choices(blocks, component, session):
                return "is not one of the choices offered"
        if isinstance(value, list) and not getattr(blocks.blocks[component], "multiselect", False):
            return "is a list; one choice is expected"
        return None

    return check


def _choices(blocks: gr.Blocks, component: int, session: str | None) -> list[object]:
    """The values Gradio's own check (``Dropdown.preprocess``) would accept for this session."""
    block = blocks.blocks[component]
    holder = getattr(blocks, "state_holder", None)
    state = holder.session_data.get(session) if holder is not None and session is not None else None
    if state is not None and component in state:  # never creates a session: only reads one
        block = state[component]
    return [value for _, value in getattr(block, "choices", [])]


def _slot(blocks: gr.Blocks, component: gr.components.Component) -> Slot:
    kind = component.get_block_name()
    label = f"{kind} {component._id}"
    if kind == "textbox":
        max_chars = getattr(component, "max_length", None) or MAX_TEXT_CHARS
        return Slot(component._id, label, _text(max_chars))
    if kind == "dropdown":
        return Slot(component._id, label, _choice(blocks, component._id))
    if kind == "state":
        return Slot(component._id, label, _bounded(MAX_STATE_CHARS))
    if kind == "api":  # gr.api's parameters: the handler checks them and says what is wrong
        return Slot(component._id, label, _bounded(MAX_TEXT_CHARS))
    msg = (
        f"the chat page's guard cannot check inputs of a {kind!r} component ({label}): say in "
        "assistant/ui/calls.py what a value of it may be"
    )
    raise ValueError(msg)


def _event_data_classes(fn: Callable[..., Any]) -> tuple[type, ...]:
    """The ``gr.EventData`` classes ``fn`` is passed, found as Gradio finds them (by annotation)."""
    from gradio.events import EventData
    from gradio.utils import get_type_hints

    hints = get_type_hints(fn)
    return tuple(
        hint
        for name in inspect.signature(fn).parameters
        if inspect.isclass(hint := hints.get(name)) and issubclass(hint, EventData)
    )


def _input_parameters(fn: Callable[..., Any]) -> tuple[str, ...]:
    """``fn``'s parameters that take an input: not those Gradio fills in itself (request, event data)."""
    from gradio.events import EventData
    from gradio.routes import Request
    from gradio.utils import get_type_hints

    hints = get_type_hints(fn)
    return tuple(
        name
        for name in inspect.signature(fn).parameters
        if not (inspect.isclass(hint := hints.get(name)) and issubclass(hint, EventData | Request))
    )


def events_of(blocks: gr.Blocks) -> dict[int, Event]:
    """Every event of ``blocks``, by ``fn_index``."""
    events: dict[int, Event] = {}
    for fn_index, block_fn in blocks.fns.items():
        name = block_fn.name or ""
        if block_fn.fn is None:
            events[fn_index] = Event(fn_index, name, None, (), block_fn.api_name, ())
            continue
        slots = tuple(_slot(blocks, component) for component in block_fn.inputs)
        event_data = _event_data_classes(block_fn.fn) if block_fn.collects_event_data else ()
        parameters = _input_parameters(block_fn.fn)
        events[fn_index] = Event(fn_index, name, slots, event_data, block_fn.api_name, parameters)
    return events


def _short_id(value: object, field: str, *, required: bool) -> str | None:
    if value is None:
        return f"{field} is missing: send the one the page was given" if required else None
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        return f"{field} must be a short string (at most {MAX_ID_CHARS} characters)"
    return None


class EventRules:
    """The checks of one page's Blocks: ``problem`` says why a request body is refused, or None."""

    def __init__(self, blocks: gr.Blocks) -> None:
        self.events = events_of(blocks)
        self.by_api_name = {e.api_name: e for e in self.events.values() if e.api_name and e.slots is not None}

    def problem(self, path: str, payload: object) -> str | None:
        if not isinstance(payload, dict):
            return "the request body must be a JSON object"
        if path == QUEUE_JOIN:
            return self._join(payload)
        if path == CANCEL:
            return self._cancel(payload)
        if path.startswith(CALL_PREFIX):
            return self._call(path, payload)
        return None

    def _event(self, fn_index: object) -> Event | str:
        if isinstance(fn_index, bool) or not isinstance(fn_index, int):
            return "fn_index must be the number of one of the page's events"
        event = self.events.get(fn_index)
        if event is None:
            return f"fn_index is not an event of this page (it has {len(self.events)}, numbered from 0)"
        return event

    def _join(self, payload: dict[str, Any]) -> str | None:
        event = self._event(payload.get("fn_index"))
        if isinstance(event, str):
            return event
        if event.slots is None:
            return f"event {event.fn_index} runs in the browser only: there is nothing to call on the server"
        session = payload.get("session_hash")
        if problem := _short_id(session, "session_hash", required=True):
            return problem
        trigger = payload.get("trigger_id")
        if trigger is not None and (isinstance(trigger, bool) or not isinstance(trigger, int)):
            return "trigger_id must be a component number or null"
        if problem := self._inputs(event, payload.get("data"), session):
            return problem
        return self._event_data(event, payload.get("event_data"))

    def _inputs(self, event: Event, data: object, session: str | None) -> str | None:
        assert event.slots is not None
        if not isinstance(data, list) or len(data) != len(event.slots):
            expected = f"{len(event.slots)} values for event {event.fn_index} ({event.name})"
            return f"data must be a list of {expected}"
        for position, (slot, value) in enumerate(zip(event.slots, data, strict=True)):
            if problem := slot.check(value, session):
                return f"data[{position}] ({slot.label}) of event {event.fn_index} ({event.name}) {problem}"
        return None

    @staticmethod
    def _event_data(event: Event, event_data: object) -> str | None:
        if not event.event_data:
            return None
        what = f"event {event.fn_index} ({event.name}) takes event data"
        if not isinstance(event_data, dict):
            return f"{what}: send event_data as the JSON object the page sends, not {_kind(event_data)}"
        if _json_chars(event_data) > MAX_EVENT_DATA_CHARS:
            return f"{what} of at most {MAX_EVENT_DATA_CHARS:,} characters of JSON"
        for kind in event.event_data:
            try:
                kind(None, event_data)  # what Gradio does before calling the handler
            except Exception:
                return f"{what} ({kind.__name__}): event_data lacks a field, or has one of the wrong kind"
        return None

    def _cancel(self, payload: dict[str, Any]) -> str | None:
        event = self._event(payload.get("fn_index"))
        if isinstance(event, str):
            return event
        return _short_id(payload.get("session_hash"), "session_hash", required=True) or _short_id(
            payload.get("event_id"), "event_id", required=True
        )

    def _call(self, path: str, payload: dict[str, Any]) -> str | None:
        """``/call/<api_name>`` takes ``{"data": [one value per parameter]}``; ``/call/v2/<api_name>``
        the parameters by name."""
        v2 = path.startswith(f"{CALL_PREFIX}v2/")
        api_name = path.removeprefix(CALL_PREFIX).removeprefix("v2/").strip("/")
        event = self.by_api_name.get(api_name)
        if event is None or event.slots is None:
            return f"there is no endpoint {api_name[:80]!r}; see /gradio_api/info"
        usage = f"the {api_name!r} endpoint takes " + ", ".join(event.parameters)
        if v2:
            if len(event.parameters) != len(event.slots) or set(payload) != set(event.parameters):
                return f"{usage}, by name: send exactly those fields"
            values = [payload[name] for name in event.parameters]
        else:
            if problem := _short_id(payload.get("session_hash"), "session_hash", required=False):
                return problem
            values = payload.get("data")
            if not isinstance(values, list) or len(values) != len(event.slots):
                return f"{usage}: send data as a list of {len(event.slots)} values, in that order"
        for name, slot, value in zip(event.parameters, event.slots, values, strict=False):
            if problem := slot.check(value, None):
                return f"{name} for the {api_name!r} endpoint {problem}"
        return None

"""The lock file a folder's writers hold: made with its folder, given up with the caller's own errors.

Fast: no model. The library's and the index's waits and messages are in tests/library and tests/index.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.file_lock import locked


class Busy(Exception):
    pass


class Unwritable(Exception):
    pass


def _lock(path: Path, waited: list[str], wait_seconds: float = 0):
    return locked(
        path,
        wait_seconds,
        waiting=lambda: waited.append("waiting"),
        busy=lambda: Busy(str(path)),
        unwritable=lambda error: Unwritable(error.strerror),
    )


def test_the_lock_file_is_made_with_its_folder(tmp_path):
    path = tmp_path / "new" / "folder" / ".lock"
    with _lock(path, []):
        assert path.is_file()


def test_a_held_lock_is_busy_for_another_holder_and_free_after(tmp_path):
    path = tmp_path / ".lock"
    waited: list[str] = []
    with _lock(path, waited):
        with pytest.raises(Busy), _lock(path, waited, wait_seconds=0.15):
            pass
    assert waited == ["waiting"]  # said once, then gave up
    with _lock(path, waited):
        pass


def test_a_folder_that_cannot_be_made_raises_the_callers_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(Unwritable), _lock(blocker / ".lock", []):
        pass

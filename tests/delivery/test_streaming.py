"""The growing prefixes both surfaces stream an answer in."""

from assistant.delivery.streaming import stream_prefixes


def test_stream_prefixes_end_with_the_whole_text():
    pieces = list(stream_prefixes("one two three four five", chunks=2))
    assert pieces[-1] == "one two three four five" and len(pieces) > 1

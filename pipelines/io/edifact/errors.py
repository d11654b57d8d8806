"""Why a message could not be converted: a reason code, the segment and line it concerns."""

from __future__ import annotations

from pipelines.io.edifact.tokenizer import TAG, Segment
from pipelines import reasons


class MessageError(Exception):
    """A message that cannot become a record; it goes to the dead-letter output."""

    def __init__(self, code: str, message: str, segment: Segment | None = None):
        self.code = code
        self.segment = segment
        self.field = segment.tag if segment is not None else None
        where = f"line {segment.line}, segment {segment.text()[:60]!r}: " if segment is not None else ""
        super().__init__(f"{where}{message}")

    @property
    def line(self) -> int | None:
        return self.segment.line if self.segment is not None else None


def check_tags(segments: list[Segment]) -> None:
    """Raise on the first segment whose tag is not three letters or digits: the text is corrupt."""
    for segment in segments:
        if not TAG.match(segment.tag):
            raise MessageError(reasons.BAD_FORMAT, f"{segment.tag[:20]!r} is not a segment tag", segment)


def describe_unmapped(unmapped: dict[str, list[int]]) -> list[str]:
    """One warning per kind of segment that was not mapped: how often and where first."""
    return [f"not mapped: {key} x{count} (first at line {line})" for key, (count, line) in unmapped.items()]


def note_unmapped(unmapped: dict[str, list[int]], segment: Segment) -> None:
    """Count a segment nothing in the schema holds, keyed by tag and qualifier.

    A tag that is not three letters or digits means corrupt text: the message cannot be trusted.
    """
    if not TAG.match(segment.tag):
        raise MessageError(reasons.BAD_FORMAT, f"{segment.tag[:20]!r} is not a segment tag", segment)
    qualifier = segment.get(0, 0).strip()
    key = f"{segment.tag}+{qualifier}" if qualifier and len(qualifier) <= 4 else segment.tag
    entry = unmapped.get(key)
    if entry is None:
        unmapped[key] = [1, segment.line]
    else:
        entry[0] += 1

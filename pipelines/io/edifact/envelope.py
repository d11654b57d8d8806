"""Group segments into messages (UNH..UNT) with their interchange (UNB) and group (UNG) headers.

The message type is taken from UNH, else from UNG or the UNB application reference, else from
what the message holds (BGM/NAD: PAXLST; SRC/TIF: PNRGOV). Segments found outside any UNH..UNT
are gathered into an implicit message, with a warning, rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.io.edifact.tokenizer import Segment, Tokenized
from pipelines.io.edifact.values import blank_to_none, hhmm, yymmdd

PAXLST = "PAXLST"
PNRGOV = "PNRGOV"
KNOWN_TYPES = (PAXLST, PNRGOV)


@dataclass
class Envelope:
    """What UNB and UNG say about the interchange a message came in."""

    sender: str | None = None
    recipient: str | None = None
    control_reference: str | None = None
    prepared_utc: str | None = None
    application: str | None = None
    group_type: str | None = None
    group_sender: str | None = None
    group_version: str | None = None
    unb: Segment | None = None

    @property
    def line(self) -> int | None:
        return self.unb.line if self.unb is not None else None


@dataclass
class Message:
    """The segments of one message, without UNH and UNT, and what is known about it."""

    envelope: Envelope
    unh: Segment | None
    segments: list[Segment]
    unt: Segment | None = None
    message_type: str | None = None
    version: str | None = None
    reference: str | None = None
    #: UNH common access reference (0068): relates the messages of one business case, here the
    #: parts of one list sent in several messages
    common_access_reference: str | None = None
    #: UNH status of the transfer (S010): this message's number in the sequence (0070) ...
    transfer_number: int | None = None
    #: ... and whether it is the final one (0073: F final, True; C more follow, False; else None)
    transfer_last: bool | None = None
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def first_segment(self) -> Segment | None:
        return self.unh or (self.segments[0] if self.segments else None)

    @property
    def offset(self) -> int:
        first = self.first_segment
        return first.offset if first else 0

    @property
    def line(self) -> int | None:
        first = self.first_segment
        return first.line if first else None

    @property
    def end_offset(self) -> int:
        last = self.unt or (self.segments[-1] if self.segments else self.unh)
        return last.offset + 1 if last else 0

    def source_format(self) -> str:
        if self.message_type == PNRGOV and self.version:
            return f"PNRGOV {self.version}"
        return " ".join(part for part in (self.message_type or "UNKNOWN", self.version) if part)


def _envelope_from_unb(segment: Segment) -> Envelope:
    date, time = segment.get(3, 0), segment.get(3, 1)
    prepared = None
    day = yymmdd(date)
    if day and len(day) == 10:
        clock = hhmm(time)
        prepared = f"{day}T{clock}Z" if clock else f"{day}T00:00Z"
    return Envelope(
        sender=blank_to_none(segment.get(1, 0)),
        recipient=blank_to_none(segment.get(2, 0)),
        control_reference=blank_to_none(segment.get(4, 0)),
        prepared_utc=prepared,
        application=blank_to_none(segment.get(6, 0)),
        unb=segment,
    )


def _with_group(envelope: Envelope, segment: Segment) -> Envelope:
    version = ":".join(part for part in segment.element(7) if part) or None
    return Envelope(**{**envelope.__dict__, "group_type": blank_to_none(segment.get(0, 0)),
                       "group_sender": blank_to_none(segment.get(1, 0)), "group_version": version})


def _identify(message: Message) -> None:
    """Set type, version and reference from UNH, the envelope, or the content."""
    unh = message.unh
    if unh is not None:
        message.reference = blank_to_none(unh.get(0, 0))
        _read_transfer(message, unh)
        kind = (blank_to_none(unh.get(1, 0)) or "").upper()
        parts = [part.strip() for part in unh.element(1)[1:]]
        if kind == PNRGOV:
            numbers = [part for part in parts[:2] if part]
            message.version = ".".join(numbers) or None
        else:
            message.version = ":".join(part for part in parts if part) or None
        if kind in KNOWN_TYPES:
            message.message_type = kind
            return
        if kind:
            message.message_type = kind
            return
    envelope = message.envelope
    for hint in (envelope.group_type, envelope.application):
        if hint and hint.upper() in KNOWN_TYPES:
            message.message_type = hint.upper()
            message.warnings.append(f"message type not in UNH; taken from the envelope ({hint})")
            return
    tags = {segment.tag for segment in message.segments}
    if tags & {"SRC", "TIF", "RCI"}:
        message.message_type = PNRGOV
    elif tags & {"BGM", "NAD", "TDT"}:
        message.message_type = PAXLST
    if message.message_type:
        message.warnings.append(f"message type not stated; {message.message_type} recognised from its segments")


def _read_transfer(message: Message, unh: Segment) -> None:
    """UNH elements 3 and 4: ``+REF+02:C``. A list too long for one message is sent in parts that
    share the common access reference, numbered 01, 02, ... and marked C (more follow) or F (the
    final part); many carriers send only the number. A number that is not one is a warning."""
    message.common_access_reference = blank_to_none(unh.get(2, 0))
    number, flag = unh.get(3, 0).strip(), unh.get(3, 1).strip().upper()
    if not number and not flag:
        return
    if not number.isdigit() or int(number) < 1:
        message.warnings.append(f"line {unh.line}: UNH sequence of transfers {number!r} is not a part number; "
                                "the message is read as a whole list")
        return
    message.transfer_number = int(number)
    if flag in ("C", "F"):
        message.transfer_last = flag == "F"
    elif flag:
        message.warnings.append(f"line {unh.line}: UNH first and last transfer {flag!r} is neither C nor F")


def split_messages(tokens: Tokenized) -> list[Message]:
    """Every message in the input, in order, each with its envelope and warnings."""
    messages: list[Message] = []
    envelope = Envelope()
    current: Message | None = None
    orphans: list[Segment] = []

    def flush_orphans() -> None:
        if orphans:
            implicit = Message(envelope=envelope, unh=None, segments=list(orphans))
            implicit.warnings.append(
                f"line {orphans[0].line}: {len(orphans)} segment(s) outside UNH..UNT read as one message")
            messages.append(implicit)
        orphans.clear()

    def close(message: Message, reason: str | None) -> None:
        if reason:
            message.warnings.append(reason)
        messages.append(message)

    segments = tokens.segments
    cursor = 0
    for index in [*tokens.envelope_indices, len(segments)]:
        body = segments[cursor:index]
        cursor = index + 1
        if body:
            (current.segments if current is not None else orphans).extend(body)
        if index == len(segments):
            break
        segment = segments[index]
        tag = segment.tag
        if tag == "UNH":
            if current is not None:
                close(current, f"line {segment.line}: message {current.reference!r} has no UNT before the next UNH")
            flush_orphans()
            current = Message(envelope=envelope, unh=segment, segments=[])
        elif tag == "UNT":
            if current is None:  # the end of a message that had no UNH
                if orphans:
                    orphans.append(segment)
                flush_orphans()
                continue
            current.unt = segment
            _check_unt(current, segment)
            close(current, None)
            current = None
        else:  # UNB, UNG, UNE, UNZ
            if current is not None:
                close(current, f"line {segment.line}: message {current.reference!r} has no UNT before {tag}")
                current = None
            flush_orphans()
            if tag == "UNB":
                envelope = _envelope_from_unb(segment)
            elif tag == "UNG":
                envelope = _with_group(envelope, segment)
    if current is not None:
        current.truncated = True
        messages.append(current)
    flush_orphans()
    for message in messages:
        _identify(message)
    return messages


def _check_unt(message: Message, unt: Segment) -> None:
    """UNT states the segment count (UNH and UNT included) and repeats the UNH reference."""
    declared = unt.get(0, 0).strip()
    actual = len(message.segments) + 2
    if declared.isdigit() and int(declared) != actual:
        message.warnings.append(f"line {unt.line}: UNT declares {int(declared)} segments, the message has {actual}")
    reference = blank_to_none(unt.get(1, 0))
    unh_reference = blank_to_none(message.unh.get(0, 0)) if message.unh else None
    if reference and unh_reference and reference != unh_reference:
        message.warnings.append(f"line {unt.line}: UNT reference {reference!r} differs from UNH {unh_reference!r}")

"""Split UN/EDIFACT text into segments, elements and components, remembering where each came from.

Why not ``pydifact`` (the well-kept PyPI tokenizer, 0.2.x)? It reads character by character in
Python, which is several times too slow for the 20,000 persons/s target (about 300,000 segments/s),
it keeps no line numbers for error reports, it takes one service string per file rather than one
per interchange, and it has no notion of the sloppiness real airline traffic shows. This module
is small instead: it splits an interchange on its terminator and each segment on its element
separator with ``str.split`` (C speed), splits components only when a mapper asks for them, and
falls back to a character scan only for the rare segment that holds a release character.

Tolerance, as real traffic needs it:

* ``UNA`` service strings with any delimiters, also a malformed one-character-short string
  (``UNA:+\\*'``: the decimal mark left out), and a new ``UNA`` per interchange.
* No ``UNA``: the delimiters follow from ``UNB`` (level A ``:+'`` or level B ``\\x1f\\x1d\\x1c``).
* Whitespace before segments, CR, LF or CRLF line ends or none at all, and line breaks inside a
  segment (carriers wrap long lines at a fixed width): line breaks are not data and are removed.
* Text before the first interchange or after ``UNZ`` is reported, not parsed.

Every segment keeps its 1-based line and character offset so an error can name where it is.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

__all__ = ["ServiceChars", "Segment", "DEFAULT", "LEVEL_B", "decode", "tokenize", "Tokenized", "LineIndex"]

#: Segment tags are three letters or digits; anything else is corruption.
TAG = re.compile(r"[A-Z0-9]{3}\Z")
ENVELOPE_TAGS = frozenset({"UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"})


@dataclass(frozen=True)
class ServiceChars:
    """The six service characters an interchange uses (from ``UNA`` or the syntax level)."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    reserved: str = " "
    terminator: str = "'"

    def describe(self) -> str:
        return "".join((self.component, self.element, self.decimal, self.release or " ", self.reserved, self.terminator))


DEFAULT = ServiceChars()
#: Syntax level B (UNOB): information separators, no release character.
LEVEL_B = ServiceChars("\x1f", "\x1d", ".", "", " ", "\x1c")


class Segment:
    """One segment: its tag, its data elements, 1-based line and character offset.

    Components are split only when asked for (``get``, ``element``, ``elements``), because a
    mapper reads two or three values of most segments; ``elements[0]`` is the first data element
    after the tag. Values are unescaped; absent elements and components read as ``""``.
    """

    __slots__ = ("tag", "_parts", "_split", "_component", "_lines", "offset", "service")

    def __init__(self, tag: str, parts: list[str] | None, split: list[list[str]] | None, offset: int,
                 service: ServiceChars, lines: "LineIndex"):
        self.tag = tag
        self._parts = parts          # raw element strings (no release character inside), or
        self._split = split          # elements already split (segments that used the release char)
        self._component = service.component
        self._lines = lines
        self.offset = offset
        self.service = service

    @property
    def line(self) -> int:
        return self._lines.line(self.offset)

    def get(self, element: int, component: int = 0) -> str:
        """The component, or ``""`` when the segment does not go that far."""
        parts = self._parts
        if parts is None:
            elements = self._split
            if element < len(elements):
                components = elements[element]
                if component < len(components):
                    return components[component]
            return ""
        if element >= len(parts):
            return ""
        value = parts[element]
        if component == 0:
            cut = value.find(self._component)
            return value if cut == -1 else value[:cut]
        components = value.split(self._component)
        return components[component] if component < len(components) else ""

    @property
    def size(self) -> int:
        """How many data elements the segment has."""
        return len(self._parts) if self._parts is not None else len(self._split)

    def element(self, index: int) -> list[str]:
        """All components of one element ([] when absent)."""
        if self._parts is None:
            return self._split[index] if index < len(self._split) else []
        return self._parts[index].split(self._component) if index < len(self._parts) else []

    @property
    def elements(self) -> list[list[str]]:
        """Every data element as its list of components."""
        if self._split is None:
            self._split = [part.split(self._component) for part in self._parts]
            self._parts = None
        return self._split

    def text(self) -> str:
        """The segment written back with the default delimiters, trailing empties dropped."""
        parts = [self.tag]
        for components in self.elements:
            while len(components) > 1 and components[-1] == "":
                components = components[:-1]
            parts.append(":".join(components))
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        return "+".join(parts)

    def __repr__(self) -> str:
        return f"Segment({self.text()!r}, line={self.line})"


class LineIndex:
    """Maps a character offset to its 1-based line; CR, LF and CRLF each end a line.

    Built on first use: most segments never need their line.
    """

    def __init__(self, text: str):
        self._text = text
        self._starts: list[int] | None = None

    def line(self, offset: int) -> int:
        if self._starts is None:
            # Same-length normalisation keeps offsets: CRLF -> " \n", lone CR -> "\n".
            normal = self._text.replace("\r\n", " \n").replace("\r", "\n")
            self._starts = list(itertools.accumulate(len(part) + 1 for part in normal.split("\n")))[:-1]
        return bisect.bisect_right(self._starts, offset) + 1


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 when it decodes, else Latin-1 (which maps every byte).

    Latin-1 keeps offsets equal to byte offsets and never fails, so arbitrary bytes decode.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _service_from_una(text: str, start: int) -> tuple[ServiceChars, int, str | None]:
    """Read ``UNA`` at ``start``; return the characters, where the next segment starts, a warning.

    The string should be six characters. Some senders leave one out (seen: ``UNA:+\\*'``);
    then the first two are still the component and element separators, the last the
    terminator, and of the middle ones a ``.``/``,`` is the decimal mark, the rest release and
    reserved in that order.
    """
    body_start = start + 3
    standard = text[body_start:body_start + 6]
    match = re.compile(r"\s*UN[BGH]").search(text, body_start, body_start + 40)
    if match and match.start() != body_start + 6:
        body = text[body_start:match.start()].rstrip("\r\n\t ")
        if len(body) == 5:
            component, element, middle, terminator = body[0], body[1], body[2:4], body[4]
            decimal = next((c for c in middle if c in ".,"), ".")
            rest = [c for c in middle if c != decimal] + [" "]
            chars = ServiceChars(component, element, decimal, rest[0], rest[1] if len(rest) > 1 else " ", terminator)
            return chars, body_start + 5, f"UNA service string {body!r} has 5 characters, not 6; read as {chars.describe()!r}"
    if len(standard) < 6:
        return DEFAULT, len(text), "UNA service string is cut short"
    component, element, decimal, release, reserved, terminator = standard
    if release == " ":
        release = ""
    if len({component, element, terminator}) < 3:
        return DEFAULT, body_start + 6, f"UNA service string {standard!r} reuses a delimiter; defaults used"
    return ServiceChars(component, element, decimal, release, reserved, terminator), body_start + 6, None


def _undeclared_terminator(text: str, position: int, service: ServiceChars) -> tuple[ServiceChars, str | None]:
    """The interchange's real segment terminator when the ``UNA`` declares one its body never uses.

    Some senders copy a ``UNA`` string from elsewhere: it declares, say, ``~`` while every segment
    ends with ``'``. Read as declared, the whole interchange is one segment and every traveller in
    it is lost. When the declared terminator never occurs in the interchange (up to the next
    ``UNA``), the character that ends segments is the one found right before segment tags
    followed by the element separator (``'UNH+``, ``'NAD+``), other delimiters aside; it is used
    when it precedes at least three tags and at least nine in ten of them. A warning says so. Any interchange, any message type: no sample is special-cased.
    """
    end = text.find("UNA", position)
    body = text[position:end if end != -1 else len(text)]
    if not body.strip() or service.terminator in body:
        return service, None
    element = re.escape(service.element)
    before = re.compile(rf"([^A-Za-z0-9\s])\s*[A-Z][A-Z0-9]{{2}}{element}")
    delimiters = {service.component, service.element, service.release, service.decimal}
    found: dict[str, int] = {}
    for match in before.finditer(body):
        if match.group(1) not in delimiters:  # "+NAD+" inside a value is no segment end
            found[match.group(1)] = found.get(match.group(1), 0) + 1
    if not found:
        return service, None
    candidate, count = max(found.items(), key=lambda item: item[1])
    if count < 3 or count < 0.9 * sum(found.values()):
        return service, None
    fixed = ServiceChars(service.component, service.element, service.decimal, service.release, service.reserved, candidate)
    return fixed, (f"UNA declares segment terminator {service.terminator!r}, which the interchange never uses; "
                   f"its segments end with {candidate!r} ({count} times): read with {candidate!r}")


def _service_from_unb(text: str, start: int) -> ServiceChars:
    """Delimiters when there is no ``UNA``: level B if ``UNB`` is followed by IS3, else level A."""
    after = text[start + 3:start + 4]
    if after == "\x1d":
        return LEVEL_B
    if after and after != "+" and not after.isalnum() and not after.isspace():
        # A sender using its own element separator without saying so: take it, keep the rest.
        component = DEFAULT.component
        syntax = re.compile(r"[A-Z]{4}(.)").match(text, start + 4)
        if syntax and syntax.group(1) not in (after,) and not syntax.group(1).isalnum():
            component = syntax.group(1)
        return ServiceChars(component, after, ".", "?", " ", "'")
    return DEFAULT


class Tokenized:
    """Segments of a whole input plus what the tokenizer noticed on the way."""

    def __init__(self, text: str):
        self.text = text
        self.lines = LineIndex(text)
        self.warnings: list[str] = []
        self.segments: list[Segment] = []
        #: Indices into ``segments`` of the envelope segments (UNB UNG UNH UNT UNE UNZ).
        self.envelope_indices: list[int] = []


_INTERCHANGE_START = re.compile(r"UN[ABH]")
#: Without any envelope, segments with the default separators (``BGM+745'``) still start one.
_BARE_SEGMENT = re.compile(r"(?<![A-Za-z0-9])[A-Z]{3}\+")


def tokenize(text: str) -> Tokenized:
    """Every segment of every interchange in ``text``, in order, with line numbers.

    Never raises: corrupt segments come back with whatever tag they have, for the message
    parsers to judge (a tag that is not three letters/digits makes its message a dead letter).
    """
    result = Tokenized(text)
    lines = result.lines
    position = 0
    length = len(text)
    while position < length:
        match = _INTERCHANGE_START.search(text, position) or _BARE_SEGMENT.search(text, position)
        if match is None:
            leftover = text[position:].strip()
            if leftover:
                result.warnings.append(f"line {lines.line(position)}: {len(leftover)} characters outside any "
                                       f"interchange ignored: {leftover[:40]!r}")
            break
        skipped = text[position:match.start()].strip()
        if skipped:
            result.warnings.append(f"line {lines.line(position)}: {len(skipped)} characters before the "
                                   f"interchange ignored: {skipped[:40]!r}")
        start = match.start()
        if text.startswith("UNA", start):
            service, position, warning = _service_from_una(text, start)
            if warning:
                result.warnings.append(f"line {lines.line(start)}: {warning}")
            service, warning = _undeclared_terminator(text, position, service)
            if warning:
                result.warnings.append(f"line {lines.line(start)}: {warning}")
        else:
            service = _service_from_unb(text, start)
            position = start
        position = _interchange(text, position, service, result)
    return result


def _interchange_bound(text: str, position: int, terminator: str) -> int:
    """Where the interchange starting at ``position`` ends at the latest: after the segment
    following the first ``UNZ`` or before a new ``UNA``; the segment loop stops exactly."""
    pattern = re.compile(re.escape(terminator) + r"\s*UN[ZA]")
    match = pattern.search(text, position)
    if match is None:
        return len(text)
    after = text.find(terminator, match.end())
    return len(text) if after == -1 else after + 1


def _interchange(text: str, position: int, service: ServiceChars, result: Tokenized) -> int:
    """Append the segments from ``position`` up to and including ``UNZ``; return where the next
    interchange may start. Stops early, without consuming it, at a ``UNA``."""
    terminator = service.terminator
    element_sep = service.element
    component_sep = service.component
    release = service.release
    has_release = bool(release) and text.find(release, position) != -1
    separators = (terminator, element_sep, component_sep)
    strip_breaks = "\r" not in separators and "\n" not in separators
    lines = result.lines
    append = result.segments.append
    if has_release:
        raws = _released_raws(text, position, terminator, release)
        bound = len(text)
    else:
        bound = _interchange_bound(text, position, terminator)
        raws = text[position:bound].split(terminator)
        if bound < len(text) or text.endswith(terminator):
            raws.pop()  # the empty string after the last terminator of the chunk
    offset = position
    count = len(raws)
    for index, raw in enumerate(raws):
        segment_start = offset
        offset += len(raw) + 1
        body = raw.lstrip()
        if not body:
            continue
        start = segment_start + (len(raw) - len(body))
        if body.startswith("UNA"):
            return start  # a new interchange brings its own service string
        if strip_breaks and ("\n" in body or "\r" in body):
            body = body.replace("\r", "").replace("\n", "")
        if has_release and release in body:
            split = _split_released(body, element_sep, component_sep, release)
            tag, parts = split[0][0].strip().upper(), None
            split = split[1:]
        else:
            parts = body.split(element_sep)
            tag, split = parts[0], None
            if len(tag) != 3 or component_sep in tag or not tag.isupper():
                tag = tag.split(component_sep)[0].strip().upper()
            del parts[0]
        segment = Segment(tag, parts, split, start, service, lines)
        if tag[:2] == "UN" and tag in ENVELOPE_TAGS:
            result.envelope_indices.append(len(result.segments))
        append(segment)
        if tag == "UNZ":
            return min(offset, len(text))
        if index == count - 1 and offset > len(text) and tag not in ("UNT", "UNE", "UNZ"):
            result.warnings.append(f"line {segment.line}: last segment {tag!r} has no terminator {terminator!r}")
    return min(max(offset, bound), len(text)) if not has_release else len(text)


def _released_raws(text: str, position: int, terminator: str, release: str) -> list[str]:
    """Segment texts from ``position`` to the end, honouring released terminators."""
    raws = []
    find = text.find
    length = len(text)
    while position < length:
        end = find(terminator, position)
        while end != -1 and _escaped(text, end, release, position):
            end = find(terminator, end + 1)
        if end == -1:
            raws.append(text[position:])
            break
        raw = text[position:end]
        raws.append(raw)
        position = end + 1
        if raw.lstrip().startswith("UNZ"):
            break
    return raws


def _escaped(text: str, index: int, release: str, floor: int) -> bool:
    """True when the character at ``index`` is preceded by an odd run of release characters."""
    count = 0
    index -= 1
    while index >= floor and text[index] == release:
        count += 1
        index -= 1
    return count % 2 == 1


def _split_released(body: str, element_sep: str, component_sep: str, release: str) -> list[list[str]]:
    """Split one segment by character, honouring the release character."""
    elements: list[list[str]] = []
    components: list[str] = []
    current: list[str] = []
    index = 0
    length = len(body)
    while index < length:
        char = body[index]
        if char == release and index + 1 < length:
            current.append(body[index + 1])
            index += 2
            continue
        if char == element_sep:
            components.append("".join(current))
            elements.append(components)
            components, current = [], []
        elif char == component_sep:
            components.append("".join(current))
            current = []
        elif char != release:
            current.append(char)
        index += 1
    components.append("".join(current))
    elements.append(components)
    return elements

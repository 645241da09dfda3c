"""Where an answer is complete, noticed as its text streams in (no model library needed:
the local greedy loop and the endpoint client both use these)."""

from __future__ import annotations


class FenceEnd:
    """Notices when a fenced code block has closed: the second ``` in the reply (a preamble
    line before the opening fence is fine)."""

    def __init__(self) -> None:
        self.text = ""

    def feed(self, text: str) -> bool:
        self.text += text
        return self.text.count("```") >= 2


class JsonEnd:
    """Notices when the first top-level JSON object in a stream of text has closed."""

    def __init__(self) -> None:
        self.depth, self.in_string, self.escaped, self.started = 0, False, False, False

    def feed(self, text: str) -> bool:
        for ch in text:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif ch == "\\":
                    self.escaped = True
                elif ch == '"':
                    self.in_string = False
            elif ch == '"' and self.started:
                self.in_string = True
            elif ch == "{":
                self.depth, self.started = self.depth + 1, True
            elif ch == "}" and self.started:
                self.depth -= 1
                if self.depth == 0:
                    return True
        return False


ENDERS = {"json": JsonEnd, "fence": FenceEnd}


def reply_ends(
    tail: str, piece: str, stop: tuple[str, ...], ender: JsonEnd | FenceEnd | None
) -> bool:
    """Whether the reply is complete once ``piece`` has arrived: its answer's end (``ender``,
    fed every piece, so it is asked first) or a stop string in ``tail``, the reply's last
    characters, which the caller cuts wide enough to hold any stop string."""
    if ender is not None and ender.feed(piece):
        return True
    return any(s in tail for s in stop)


def cut_at_stop(text: str, stop: tuple[str, ...], fenced: bool = False) -> str:
    """The reply up to (not including) the first stop string, as OpenAI-style APIs do, or
    the closing fence of its first code block."""
    cuts = [text.find(s) for s in stop if s in text]
    opening = text.find("```")
    if fenced and opening >= 0 and "```" in text[opening + 3 :]:
        cuts.append(text.index("```", opening + 3))
    return text[: min(cuts)] if cuts else text

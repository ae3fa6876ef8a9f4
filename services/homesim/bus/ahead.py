"""What a device running ahead (``DeviceConfig.runs_ahead``) sends of the inverter's window: a
plain object, no transport (``homesim.bus.device`` publishes what it returns; the inverter's
side is ``homesim.bus.barrier``).

The inverter's ``progress`` names its session (``holder``), its window ``[start, end)`` and the
last settled tick. A device sends the window's events it has not sent to that session yet: a
new session holds none of them, so the whole window goes again; after a property change it
sends them again from the next tick the inverter settles (they replace what it holds)."""

from __future__ import annotations

from typing import Any


class Ahead:
    """What this device sent ahead to the inverter's session ``holder``: ticks up to ``sent_to``
    (exclusive), of the last progress's ``window``; ``tick``: its last settled tick."""

    def __init__(self) -> None:
        self.holder: int | None = None
        self.sent_to = -1
        self.window: tuple[int, int] | None = None
        self.tick = -1

    def progress(self, message: dict[str, Any]) -> None:
        """A (valid) progress of the inverter taken in."""
        if message["holder"] != self.holder:  # a new inverter session: it holds nothing of ours
            self.holder, self.sent_to = message["holder"], -1
        self.window = (int(message["window_start"]), int(message["window_end"]))
        self.tick = int(message["tick"])

    def due(self) -> tuple[int, int] | None:
        """The ticks ``[first, end)`` of the window to send now (none: ``None``), taken as sent."""
        if self.window is None:
            return None
        return self._send(max(self.window[0], self.sent_to), self.window[1])

    def changed(self) -> tuple[int, int] | None:
        """The properties changed: the window's ticks from the next one the inverter settles on,
        to send again (they replace what it holds of ours)."""
        if self.window is None:
            return None
        return self._send(max(self.window[0], self.tick + 1), self.window[1])

    def _send(self, first: int, end: int) -> tuple[int, int] | None:
        if first >= end:
            return None
        self.sent_to = max(self.sent_to, end)
        return first, end

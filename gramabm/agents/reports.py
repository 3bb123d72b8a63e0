"""What agents hand back from a step: the events they report and the news they make public.

Agents do not write to the model. Each step method takes a :class:`Reports` the model owns and adds
to it; the model then keeps the events in the run's log and turns news into what holders observe.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reports:
    """Events reported in order, and whether fresh incident news broke.

    Attributes:
        events: ``(step, source, kind, detail)`` in the order they happened.
        news: Fresh custodian-incident news broke since the model last read it.
    """

    events: list[tuple[int, str, str, str]] = field(default_factory=list)
    news: bool = False

    def event(self, step: int, source: str, kind: str, detail: str) -> None:
        """Report an event (an incident revealed, a withdrawal, a governance decision)."""
        self.events.append((step, source, kind, detail))

    def breaking_news(self) -> None:
        """Report fresh incident news (holders see it at full strength, then it fades)."""
        self.news = True

    def take_news(self) -> bool:
        """Whether news broke since the last call (and forget it)."""
        news, self.news = self.news, False
        return news

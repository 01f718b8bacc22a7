"""The one listing pattern every console page uses: columns, rows, an Action column, problems.

A page builds a :class:`Listing` and renders ``listing.html``; narrow windows show each row as a
card labelled with the column names.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    code: bool = False
    badge: str | None = None  # "ok" | "bad" | "" for a neutral badge


@dataclass(frozen=True)
class Action:
    label: str
    href: str
    danger: bool = False


@dataclass
class Row:
    cells: list[Cell]
    actions: list[Action] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Listing:
    title: str
    columns: list[str]
    rows: list[Row]
    create: tuple[str, str] | None = None  # (label, href)
    intro: str = ""
    empty: str = "Nothing here yet."
    extra: str | None = None  # a template included under the table
    before: str | None = None  # a template included above it (a search form)

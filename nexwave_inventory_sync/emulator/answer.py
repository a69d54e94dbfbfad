from __future__ import annotations


class Answer:
    """One HTTP answer; `drop` closes the connection without sending it."""

    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None, drop: bool = False):
        self.status, self.body, self.headers, self.drop = status, body, headers or {}, drop

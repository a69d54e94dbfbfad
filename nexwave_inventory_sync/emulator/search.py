"""The part of Shopify's search syntax an inventory push uses on productVariants:
`sku:VALUE`, `sku:"quoted \\" value"` and `id:NUMBER` terms, joined with OR (a space, or
AND, joins terms that must all hold). Anything else is refused loudly rather than guessed."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLError

SUPPORTED_FIELDS = ("sku", "id")


@dataclass(frozen=True)
class Term:
    field: str
    value: str


def _read_value(text: str, start: int) -> tuple[str, int]:
    if start < len(text) and text[start] == '"':
        chars = []
        i = start + 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                chars.append(text[i + 1])
                i += 2
                continue
            if char == '"':
                return "".join(chars), i + 1
            chars.append(char)
            i += 1
        raise GraphQLError(f"Unterminated quoted value in search query: {text!r}")
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end], end


def parse_search(text: str) -> list[list[Term]]:
    """OR-groups of AND-ed terms: 'sku:A OR sku:B' -> [[sku=A], [sku=B]]."""
    groups: list[list[Term]] = [[]]
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        word_end = i
        while word_end < len(text) and not text[word_end].isspace() and text[word_end] != ":":
            word_end += 1
        word = text[i:word_end]
        if word_end >= len(text) or text[word_end] != ":":
            if word == "OR":
                groups.append([])
            elif word != "AND":
                raise GraphQLError(
                    f"The emulator supports only {', '.join(SUPPORTED_FIELDS)} search terms, not {word!r}"
                )
            i = word_end
            continue
        if word not in SUPPORTED_FIELDS:
            raise GraphQLError(
                f"The emulator supports only {', '.join(SUPPORTED_FIELDS)} search terms, not {word!r}"
            )
        value, i = _read_value(text, word_end + 1)
        groups[-1].append(Term(word, value))
    return [group for group in groups if group]

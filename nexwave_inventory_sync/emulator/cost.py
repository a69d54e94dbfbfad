"""Shopify's calculated query cost and its leaky bucket, as far as this project needs them.

Requested cost: each object costs 1, scalars and enums 0; a connection costs 2 plus `first`
times one node; `nodes(ids:)` costs one node per id; a mutation costs 10.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
MAX_QUERY_COST = 1000


@dataclass(frozen=True)
class Plan:
    maximum_available: float
    restore_rate: float


PLANS = {
    "standard": Plan(2000, 100),
    "advanced": Plan(4000, 200),
    "plus": Plan(20000, 1000),
}


def _argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def requested_cost(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> int:
    if operation.operation is OperationType.MUTATION:
        return MUTATION_COST
    return _selection_cost(schema, schema.query_type, operation.selection_set, variables)


def _selection_cost(
    schema: GraphQLSchema, parent: Any, selection_set: SelectionSetNode | None, variables: Mapping[str, Any]
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            fragment_type = (
                schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            )
            total += _selection_cost(schema, fragment_type, selection.selection_set, variables)
            continue
        if not isinstance(selection, FieldNode) or not hasattr(parent, "fields"):
            continue
        definition = parent.fields.get(selection.name.value)
        if definition is None:
            continue
        named = get_named_type(definition.type)
        if is_leaf_type(named) or named.name == "PageInfo":
            continue
        inner = _selection_cost(schema, named, selection.selection_set, variables)
        if named.name.endswith("Connection"):
            first = _argument(selection, "first", variables) or 0
            total += 2 + int(first) * _connection_node_cost(schema, named, selection, variables)
        elif selection.name.value == "nodes" and parent is schema.query_type:
            ids = _argument(selection, "ids", variables) or []
            total += len(ids) * (1 + inner)
        else:
            total += 1 + inner
    return total


def _connection_node_cost(
    schema: GraphQLSchema, connection: GraphQLObjectType, field: FieldNode, variables: Mapping[str, Any]
) -> int:
    """Cost of one node of a connection, whether selected as nodes{} or edges{node{}}."""
    node_type = get_named_type(connection.fields["nodes"].type)
    best = 0
    for selection in field.selection_set.selections if field.selection_set else ():
        if not isinstance(selection, FieldNode):
            continue
        if selection.name.value == "nodes":
            best = max(best, 1 + _selection_cost(schema, node_type, selection.selection_set, variables))
        elif selection.name.value == "edges":
            for edge_field in selection.selection_set.selections if selection.selection_set else ():
                if isinstance(edge_field, FieldNode) and edge_field.name.value == "node":
                    best = max(
                        best, 1 + _selection_cost(schema, node_type, edge_field.selection_set, variables)
                    )
    return best


def actual_cost(data: Any, is_mutation: bool) -> int:
    """What was really returned: each object 1, a connection 2, page info free."""
    if is_mutation:
        return MUTATION_COST

    def walk(value: Any) -> int:
        if isinstance(value, list):
            return sum(walk(v) for v in value)
        if not isinstance(value, dict):
            return 0
        if "pageInfo" in value or "edges" in value:  # a connection
            return 2 + sum(walk(v) for k, v in value.items() if k != "pageInfo")
        if "hasNextPage" in value:
            return 0
        return 1 + sum(walk(v) for v in value.values())

    return sum(walk(v) for v in (data or {}).values())


class LeakyBucket:
    def __init__(self, plan: Plan, now: Callable[[], float]):
        self.plan = plan
        self._now = now
        self._available = float(plan.maximum_available)
        self._at = now()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._now()
        self._available = min(
            self.plan.maximum_available, self._available + (now - self._at) * self.plan.restore_rate
        )
        self._at = now

    def take(self, cost: float) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.plan.maximum_available, self._available + points)

    def drain(self) -> None:
        with self._lock:
            self._refill()
            self._available = 0.0

    def status(self) -> dict:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.plan.maximum_available),
                "currentlyAvailable": int(self._available),
                "restoreRate": float(self.plan.restore_rate),
            }

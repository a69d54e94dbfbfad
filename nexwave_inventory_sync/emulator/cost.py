"""Calculated query cost, the way Shopify charges it (roughly).

Scalars and enums cost 0, an object 1, a connection 2 plus `first` × the cost of one node,
nodes(ids:) the number of ids × the cost of one node, and a mutation a flat 10. The
requested cost is worked out from the document before running it; the actual cost from what
the resolvers returned (never more than requested).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
CONNECTION_COST = 2


def _is_connection(type_name: str) -> bool:
    return type_name.endswith("Connection")


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class _Walk:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self._seen: set[str] = set()  # fragment cycles are a validation error; stay safe anyway

    def selection(self, parent: Any, selection_set: SelectionSetNode | None) -> int:
        """Cost of one object of type `parent` with this selection."""
        if selection_set is None:
            return 0
        shared = 0
        by_type: dict[str, int] = {}
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                shared += self.field(parent, node)
                continue
            if isinstance(node, InlineFragmentNode):
                condition, inner = node.type_condition, node.selection_set
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is None or node.name.value in self._seen:
                    continue
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                continue
            target = self.schema.get_type(condition.name.value) if condition else parent
            target = target or parent
            if isinstance(node, FragmentSpreadNode):
                self._seen.add(node.name.value)
            cost = self.selection(target, inner)
            if isinstance(node, FragmentSpreadNode):
                self._seen.discard(node.name.value)
            if target is parent or is_abstract_type(target):
                shared += cost
            else:
                # On an interface, only one concrete type's fragment applies to each object.
                by_type[target.name] = by_type.get(target.name, 0) + cost
        return shared + max(by_type.values(), default=0)

    def field(self, parent: Any, node: FieldNode) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        if definition is None or name.startswith("__"):
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        if _is_connection(named.name):
            first = _count(_argument(node, "first", self.variables)) or _count(
                _argument(node, "last", self.variables)
            )
            return CONNECTION_COST + first * self.connection_node(named, node.selection_set)
        if parent is self.schema.query_type and name == "nodes":
            ids = _argument(node, "ids", self.variables)
            return (len(ids) if isinstance(ids, list) else 0) * (
                1 + self.selection(named, node.selection_set)
            )
        return 1 + self.selection(named, node.selection_set)

    def connection_node(self, connection: Any, selection_set: SelectionSetNode | None) -> int:
        """Cost of one element of a connection: its node through `edges` and/or `nodes`."""
        if selection_set is None:
            return 0
        per_node = 0
        for node in self._fields(selection_set):
            definition = connection.fields.get(node.name.value)
            if definition is None:
                continue
            element = get_named_type(definition.type)
            if node.name.value == "nodes":
                per_node += 1 + self.selection(element, node.selection_set)
            elif node.name.value == "edges":
                per_node += self.selection(element, node.selection_set)  # edge.node costs 1 there
            # pageInfo and cursors are covered by the connection's own 2 points
        return per_node

    def _fields(self, selection_set: SelectionSetNode) -> list[FieldNode]:
        found: list[FieldNode] = []
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                found.append(node)
            elif isinstance(node, InlineFragmentNode):
                found.extend(self._fields(node.selection_set))
            elif isinstance(node, FragmentSpreadNode) and node.name.value in self.fragments:
                if node.name.value not in self._seen:
                    self._seen.add(node.name.value)
                    found.extend(self._fields(self.fragments[node.name.value].selection_set))
                    self._seen.discard(node.name.value)
        return found


def requested_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST
    return _Walk(schema, fragments, variables).selection(schema.query_type, operation.selection_set)


class ActualCost:
    """graphql-core middleware counting what the resolvers really returned, with the same
    rules as requested_cost: a page of 3 variants costs for 3, a deleted node for nothing."""

    def __init__(self) -> None:
        self.total = 0

    def resolve(self, next_, root, info, **args):
        result = next_(root, info, **args)
        named = get_named_type(info.return_type)
        if is_leaf_type(named) or info.field_name.startswith("__"):
            return result
        parent = info.parent_type.name
        if _is_connection(named.name):
            self.total += CONNECTION_COST
        elif _is_connection(parent):
            if info.field_name == "nodes" and isinstance(result, list):
                self.total += len(result)
            # edges: each edge's node counts itself; pageInfo is in the connection's 2
        elif info.parent_type is info.schema.query_type and info.field_name == "nodes":
            self.total += sum(1 for node in result or () if node is not None)
        elif result is not None:
            self.total += 1
        return result

"""One GraphQL request, start to finish: parse, validate against the emulator's own SDL for
the version (emulator/sdl/), price it, take the points from the bucket (or answer
THROTTLED), run it over the catalog, refund what it did not use, and attach
extensions.cost like Shopify."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import count
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from .bucket import LeakyBucket
from .catalog import Catalog
from .cost import MUTATION_COST, ActualCost, requested_cost
from .idempotency import IdempotencyStore
from .mutations import MutationRoot
from .resolvers import QueryRoot, RequestContext, idempotent_directive
from .schema import schema_for
from .shop_profile import ShopProfile
from .shopify_facts import MAX_QUANTITIES_PER_SET, MAX_QUERY_COST, uses_idempotency
from .stats import EmulatorStats
from .views import typename_of

THROTTLE_DOCS = "https://shopify.dev/api/usage/rate-limits"
_PARSED_CACHE_SIZE = 256


@dataclass
class _Prepared:
    schema: GraphQLSchema
    document: DocumentNode
    operation: OperationDefinitionNode
    operation_name: str | None
    variables: dict[str, Any]
    requested: int


@dataclass
class Answer:
    """An HTTP answer to give: status, JSON body, and the operation it answered."""

    status: int
    body: dict
    operation: str | None = None


def _format(error: GraphQLError, code: str | None = None) -> dict:
    formatted = dict(error.formatted)
    if code and not (formatted.get("extensions") or {}).get("code"):
        formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


def operation_name_of(payload: Any) -> str | None:
    """The operation a request names, without a full parse when the client says it."""
    if not isinstance(payload, dict):
        return None
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = payload.get("query")
    if not isinstance(query, str):
        return None
    try:
        operations = [
            d for d in parse(query, no_location=True).definitions if isinstance(d, OperationDefinitionNode)
        ]
    except GraphQLError:
        return None
    if len(operations) == 1 and operations[0].name:
        return operations[0].name.value
    return None


class Executor:
    def __init__(
        self,
        catalog: Catalog,
        bucket: LeakyBucket,
        stats: EmulatorStats,
        *,
        shop_domain: str,
        partial_apply: bool = False,
        max_batch: int = MAX_QUANTITIES_PER_SET,
        profile: ShopProfile | None = None,
    ):
        self.catalog = catalog
        self.bucket = bucket
        self.stats = stats
        self.shop_domain = shop_domain
        self.partial_apply = partial_apply
        self.max_batch = max_batch
        self.profile = profile or ShopProfile()
        self.idempotency = IdempotencyStore()
        self._group_numbers = count(1)
        self.bulk_operations = None  # set by the server (it knows the URL files are served at)
        self.webhook_subscriptions: list[tuple[str, str, str]] = []  # (id, topic, uri)
        self._parsed: OrderedDict[tuple[int, str], tuple[DocumentNode | None, list[GraphQLError]]] = (
            OrderedDict()
        )
        self._parsed_lock = threading.Lock()

    # -- answers -------------------------------------------------------------------------
    def cost_extensions(self, requested: int | None, actual: int | None) -> dict:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.throttle_status(),
            }
        }

    def throttled(self, requested: int | None) -> dict:
        self.stats.add(throttled=1)
        return {
            "errors": [
                {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": THROTTLE_DOCS}}
            ],
            "extensions": self.cost_extensions(requested, None),
        }

    def concurrent_request(self) -> dict:
        """The answer to a mutation whose idempotency key is held by a request still running.
        The code and its text are Shopify's (InventorySetQuantitiesUserErrorCode); a null field
        path and the 10-point charge are guesses."""
        self.bucket.take(MUTATION_COST)
        return {
            "data": {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": None,
                    "userErrors": [
                        {
                            "code": "IDEMPOTENCY_CONCURRENT_REQUEST",
                            "field": None,
                            "message": "This request is currently in progress, please try again.",
                        }
                    ],
                }
            },
            "extensions": self.cost_extensions(MUTATION_COST, MUTATION_COST),
        }

    def _errors(self, errors: list[dict], requested: int | None = None) -> dict:
        return {"errors": errors, "extensions": self.cost_extensions(requested, None)}

    # -- parsing -------------------------------------------------------------------------
    def _parse_and_validate(
        self, schema: GraphQLSchema, query: str
    ) -> tuple[DocumentNode | None, list[GraphQLError]]:
        key = (id(schema), query)
        with self._parsed_lock:
            if key in self._parsed:
                self._parsed.move_to_end(key)
                return self._parsed[key]
        try:
            document = parse(query)
        except GraphQLError as error:
            found: tuple[DocumentNode | None, list[GraphQLError]] = (None, [error])
        else:
            found = (document, list(validate(schema, document)))
        with self._parsed_lock:
            self._parsed[key] = found
            while len(self._parsed) > _PARSED_CACHE_SIZE:
                self._parsed.popitem(last=False)
        return found

    def peek_idempotency_key(self, version: str, payload: Any) -> str | None:
        """The key a mutation request carries (for the request log), or None."""
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return None
        try:
            document, _ = self._parse_and_validate(schema_for(version), payload["query"])
        except Exception:
            return None
        if document is None:
            return None
        operation = get_operation_ast(document, payload.get("operationName"))
        if operation is None or operation.operation != OperationType.MUTATION:
            return None
        variables = payload.get("variables") if isinstance(payload.get("variables"), dict) else {}
        for node in operation.selection_set.selections:
            if isinstance(node, FieldNode):
                present, key = idempotent_directive(node, variables)
                if present and isinstance(key, str):
                    return key
        return None

    # -- the request ---------------------------------------------------------------------
    def _prepare(self, version: str, payload: Any) -> Answer | _Prepared:
        """Everything up to pricing: a ready request, or the answer refusing it."""
        if not isinstance(payload, dict):
            return Answer(400, {"errors": "Bad Request: the body must be a JSON object"})
        operation_name = payload.get("operationName") or None
        query = payload.get("query")
        if not isinstance(query, str) or not query.strip():
            return Answer(400, {"errors": {"query": "Required parameter missing or invalid"}})
        variables = payload.get("variables")
        if isinstance(variables, str):
            try:
                variables = json.loads(variables) if variables.strip() else None
            except ValueError:
                return Answer(400, {"errors": {"variables": "Invalid JSON"}})
        if variables is None:
            variables = {}
        if not isinstance(variables, dict):
            return Answer(400, {"errors": {"variables": "must be a JSON object"}})
        if operation_name is not None and not isinstance(operation_name, str):
            return Answer(400, {"errors": {"operationName": "must be a string"}})

        schema = schema_for(version)
        document, errors = self._parse_and_validate(schema, query)
        if errors:
            return Answer(
                200, self._errors([_format(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]), operation_name
            )
        assert document is not None
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f'No operation named "{operation_name}"'
                if operation_name
                else "An operation name is required"
            )
            return Answer(
                200, self._errors([{"message": message, "extensions": {"code": "OPERATION_NOT_FOUND"}}])
            )
        operation_name = operation.name.value if operation.name else operation_name
        if operation.operation == OperationType.SUBSCRIPTION:
            return Answer(200, self._errors([{"message": "Subscriptions are not supported"}]), operation_name)
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        requested = requested_cost(schema, operation, fragments, variables)
        if requested > MAX_QUERY_COST:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\n"
                "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
                "cost of a query is calculated.\n\n"
                "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
                "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
            )
            error = {
                "message": message,
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST},
            }
            return Answer(200, self._errors([error], requested), operation_name)
        return _Prepared(schema, document, operation, operation_name, variables, requested)

    def requested_cost(self, version: str, payload: Any) -> int | None:
        """What a request would be charged (None when it would be refused before pricing)."""
        prepared = self._prepare(version, payload)
        return prepared.requested if isinstance(prepared, _Prepared) else None

    def run(self, version: str, payload: Any) -> Answer:
        prepared = self._prepare(version, payload)
        if isinstance(prepared, Answer):
            return prepared
        operation, operation_name, requested = prepared.operation, prepared.operation_name, prepared.requested
        if not self.bucket.take(requested):
            return Answer(200, self.throttled(requested), operation_name)

        context = RequestContext(
            catalog=self.catalog,
            shop_domain=self.shop_domain,
            profile=self.profile,
            raw_variables=prepared.variables,
            change_from_era=uses_idempotency(version),
            partial_apply=self.partial_apply,
            max_batch=self.max_batch,
            stats=self.stats,
            idempotency=self.idempotency,
            group_numbers=self._group_numbers,
            bulk_operations=self.bulk_operations,
            version=version,
            schema=prepared.schema,
            webhook_subscriptions=self.webhook_subscriptions,
        )
        is_mutation = operation.operation == OperationType.MUTATION
        root = MutationRoot(context) if is_mutation else QueryRoot(context)
        actual_cost = ActualCost()
        with self.catalog.lock:  # a batch is applied, or a page read, as one step
            result = execute(
                prepared.schema,
                prepared.document,
                root_value=root,
                context_value=context,
                variable_values=prepared.variables,
                operation_name=operation_name,
                type_resolver=typename_of,
                middleware=[actual_cost],
            )
        if result.data is None and result.errors:
            actual = 0  # refused before any field ran (e.g. variables of the wrong type)
        elif is_mutation:
            actual = MUTATION_COST
        else:
            actual = min(actual_cost.total, requested)
        self.bucket.refund(requested - actual)
        self.stats.add(cost_requested=requested, cost_actual=actual)

        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_format(e) for e in result.errors]
        if result.data is not None or not result.errors:
            body["data"] = result.data
        body["extensions"] = self.cost_extensions(requested, actual)
        return Answer(200, body, operation_name)

    def run_bulk_query(self, version: str, query: str) -> dict:
        """Execute a bulk query's text over the catalog, connections unpaged."""
        from .bulk import execute_bulk

        schema = schema_for(version)
        context = RequestContext(
            catalog=self.catalog,
            shop_domain=self.shop_domain,
            profile=self.profile,
            raw_variables={},
            change_from_era=uses_idempotency(version),
            partial_apply=self.partial_apply,
            max_batch=self.max_batch,
            stats=self.stats,
            idempotency=self.idempotency,
            group_numbers=self._group_numbers,
            version=version,
            schema=schema,
            bulk=True,
        )
        with self.catalog.lock:
            return execute_bulk(schema, query, QueryRoot(context), context)

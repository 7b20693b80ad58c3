"""An API operation declared once: its method and address, its request and response
schemas (pydantic), the answers it may give and who may call it. The declaration validates
the request before the handler runs, shapes the answer, gives the Django URL, and is what
`docs/openapi.json` is generated from — so the description cannot drift from the code.

Why not django-ninja: the API's answers are a contract older than this module (RPA tools and
core-system vendors script against them): one error form ``{"error", "message", "fields"}``
with a code per operation, Japanese messages, 401/403/404 as they are, and the URL names. Ninja
answers in its own shape (422 with ``detail`` lists) and would need each of those overridden;
what is left to write here is the small part ninja would have done: routing and the OpenAPI
paths. The schemas themselves are pydantic's, and their JSON Schema is pydantic's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import pydantic
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from madoguchi.web import api_error


class ApiError(Exception):
    """An answer other than the operation's own: raised by a handler or an authentication."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields

    def response(self) -> JsonResponse:
        return api_error(self.status, self.code, self.message, self.fields)


@dataclass(frozen=True)
class Security:
    """Who may call: an OpenAPI security scheme, and the check that names the caller (or
    raises ApiError 401)."""

    scheme: str
    description: str
    authenticate: Callable[[HttpRequest, dict[str, Any]], Any]
    # The OpenAPI security scheme, when it is not a plain bearer token (OAuth2, say).
    openapi_scheme: dict[str, Any] | None = None
    # The scopes an operation needs, by HTTP method (OAuth2).
    scopes: Callable[[str], list[str]] | None = None
    # Other schemes any operation also accepts (a transitional static token), by name.
    alternatives: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """What a request that fails its schema is told: a code, a message, and whether the
    items are named one by one (``fields``)."""

    code: str
    message: str
    by_field: bool = False
    # Items with a code and message of their own (a bad cursor is invalid_cursor).
    items: dict[str, tuple[str, str]] = field(default_factory=dict)


class Error(pydantic.BaseModel):
    """The API's one error form."""

    error: str
    message: str
    fields: dict[str, list[str]] | None = pydantic.Field(
        default=None, description="invalid_form: 項目IDごとの理由"
    )


ANSWERS = {
    400: "入力が不正",
    401: "トークンがない・無効",
    403: "権限がない",
    404: "ない、または所属外",
    409: "ワークフロー・連携状況が許さない操作",
}


def _reasons(exc: pydantic.ValidationError) -> dict[str, list[str]]:
    """pydantic's findings in Japanese, by item (the first part of each location)."""
    messages = {
        "missing": _("必須です"),
        "json_invalid": _("JSON として読めません"),
        "model_type": _("オブジェクトで指定してください"),
        "dict_type": _("オブジェクトで指定してください"),
        "string_type": _("文字列で指定してください"),
        "int_parsing": _("整数で指定してください"),
        "int_type": _("整数で指定してください"),
        "bool_parsing": _("true か false で指定してください"),
        "date_from_datetime_parsing": _("YYYY-MM-DD の形で入力してください"),
        "date_parsing": _("YYYY-MM-DD の形で入力してください"),
        "date_type": _("YYYY-MM-DD の形で入力してください"),
        "less_than_equal": _("大きすぎます"),
        "greater_than_equal": _("小さすぎます"),
        "string_too_long": _("長すぎます"),
        "extra_forbidden": _("この項目は使えません"),
    }
    found: dict[str, list[str]] = {}
    for error in exc.errors():
        where = str(error["loc"][0]) if error["loc"] else "body"
        if error["type"] in ("literal_error", "enum"):
            expected = str(error.get("ctx", {}).get("expected", ""))
            allowed = "、".join(re.findall(r"'([^']*)'", expected)) or expected
            reason = _("%(allowed)s のいずれかを指定してください") % {"allowed": allowed}
        else:
            reason = messages.get(error["type"], _("値が不正です"))
        found.setdefault(where, []).append(reason)
    return found


@dataclass
class Operation:
    method: str
    path: str
    name: str
    summary: str
    description: str
    security: Security
    response: type[pydantic.BaseModel] | None
    status: int
    body: type[pydantic.BaseModel] | None
    query: type[pydantic.BaseModel] | None
    answers: tuple[int, ...]
    invalid: Invalid
    parameters: dict[str, str]
    # A response that is a file, not JSON (the 申請ZIP): its media type, for the OpenAPI.
    media_type: str | None = None
    handler: Callable[..., Any] = field(init=False, repr=False)


@dataclass
class Router:
    """A family of operations under one security (the staff API, the pull API), and what a
    Http404 from the handler is called."""

    security: Security
    not_found: str
    operations: list[Operation] = field(default_factory=list)

    def get(self, address: str, **declared: Any) -> Callable[[Callable[..., Any]], Operation]:
        return self._declare("get", address, **declared)

    def post(self, address: str, **declared: Any) -> Callable[[Callable[..., Any]], Operation]:
        return self._declare("post", address, **declared)

    def _declare(
        self,
        method: str,
        address: str,
        *,
        name: str,
        summary: str,
        response: type[pydantic.BaseModel] | None,
        answers: tuple[int, ...] = (),
        description: str = "",
        status: int = 200,
        body: type[pydantic.BaseModel] | None = None,
        query: type[pydantic.BaseModel] | None = None,
        invalid: Invalid | None = None,
        parameters: dict[str, str] | None = None,
        media_type: str | None = None,
    ) -> Callable[[Callable[..., Any]], Operation]:
        def declare(handler: Callable[..., Any]) -> Operation:
            operation = Operation(
                method=method,
                path=address,
                name=name,
                summary=summary,
                description=description,
                security=self.security,
                response=response,
                status=status,
                body=body,
                query=query,
                answers=answers,
                invalid=invalid or Invalid("invalid_body", _("入力内容を確認してください")),
                parameters=parameters or {},
                media_type=media_type,
            )
            operation.handler = self._view(operation, handler)
            self.operations.append(operation)
            return operation

        return declare

    def _view(self, operation: Operation, handler: Callable[..., Any]) -> Callable[..., Any]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest, **path_values: Any) -> HttpResponse:
            if request.method != operation.method.upper():
                return HttpResponseNotAllowed([operation.method.upper()])
            try:
                caller = operation.security.authenticate(request, path_values)
                given = _validated(operation, request)
                result = handler(request, caller, **path_values, **given)
            except ApiError as refused:
                return refused.response()
            except Http404:
                return api_error(404, "not_found", self.not_found)
            except PermissionDenied:
                return api_error(403, "forbidden", _("この操作の権限がありません"))
            if isinstance(result, HttpResponse):
                return result
            assert operation.response is not None
            shaped = operation.response.model_validate(result).model_dump(mode="json")
            return JsonResponse(
                shaped, status=operation.status, json_dumps_params={"ensure_ascii": False}
            )

        return view


def _validated(operation: Operation, request: HttpRequest) -> dict[str, Any]:
    """The request's body and query, as the operation's schemas read them."""
    given: dict[str, Any] = {}
    try:
        if operation.body is not None:
            given["body"] = operation.body.model_validate_json(request.body or b"{}")
        if operation.query is not None:
            given["query"] = operation.query.model_validate(
                {key: request.GET.get(key) for key in request.GET}
            )
    except pydantic.ValidationError as exc:
        reasons = _reasons(exc)
        invalid = operation.invalid
        for item in sorted(reasons):
            if item in invalid.items:
                code, own = invalid.items[item]
                raise ApiError(400, code, own) from exc
        message = invalid.message
        if not invalid.by_field:
            message = f"{message}: {', '.join(sorted(reasons))}"
        raise ApiError(400, invalid.code, message, reasons if invalid.by_field else None) from exc
    return given


def urlpatterns(*routers: Router) -> list[URLPattern]:
    """Django's addresses for the operations: ``{name}`` in a path is a path value."""
    return [
        path(re.sub(r"\{(\w+)\}", r"<str:\1>", op.path.lstrip("/")), op.handler, name=op.name)
        for router in routers
        for op in router.operations
    ]


def _ref(model: type[pydantic.BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def openapi(info: dict[str, Any], server: str, *routers: Router) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the routers' operations."""
    models: set[type[pydantic.BaseModel]] = {Error}
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    schemes: dict[str, Any] = {}
    for router in routers:
        security = router.security
        schemes[security.scheme] = security.openapi_scheme or {
            "type": "http",
            "scheme": "bearer",
            "description": security.description,
        }
        schemes.update(security.alternatives)
        for op in router.operations:
            entry: dict[str, Any] = {"operationId": op.name, "summary": op.summary}
            if op.description:
                entry["description"] = op.description
            scopes = op.security.scopes(op.method.upper()) if op.security.scopes else []
            entry["security"] = [{op.security.scheme: scopes}] + [
                {name: []} for name in op.security.alternatives
            ]
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                | ({"description": op.parameters[name]} if op.parameters.get(name) else {})
                for name in re.findall(r"\{(\w+)\}", op.path)
            ]
            if op.query is not None:
                query = _schema(op.query)
                components.update(query.pop("$defs", {}))
                for name, spec in query["properties"].items():
                    described = spec.pop("description", "")
                    spec.pop("title", None)
                    spec.pop("default", None)
                    parameters.append(
                        {"name": name, "in": "query", "schema": _nullable_dropped(spec)}
                        | ({"description": described} if described else {})
                    )
            if parameters:
                entry["parameters"] = parameters
            if op.body is not None:
                models.add(op.body)
                entry["requestBody"] = {"required": True, "content": _content(_ref(op.body))}
            answers: dict[str, Any] = {}
            if op.response is not None:
                models.add(op.response)
                answers[str(op.status)] = {
                    "description": "OK" if op.status == 200 else "作成した",
                    "content": _content(_ref(op.response)),
                }
            elif op.media_type is not None:
                # OpenAPI 3.1: a file of that media type, its bytes not a JSON schema's.
                answers[str(op.status)] = {"description": "OK", "content": {op.media_type: {}}}
            for code in sorted({*op.answers, 401}):
                answers[str(code)] = {
                    "description": ANSWERS[code],
                    "content": _content(_ref(Error)),
                }
            entry["responses"] = answers
            paths.setdefault(op.path, {})[op.method] = entry
    for model in sorted(models, key=lambda m: m.__name__):
        found = _schema(model)
        components.update(found.pop("$defs", {}))
        components[model.__name__] = found
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": server}],
        "paths": paths,
        "components": {"securitySchemes": schemes, "schemas": dict(sorted(components.items()))},
    }


def _schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """A model's JSON Schema for the description: references into components, without the
    titles pydantic makes of names and the docstrings written for developers (what a vendor
    reads is each field's Japanese description)."""
    found = _untitled(model.model_json_schema(ref_template="#/components/schemas/{model}"))
    for schema in (found, *found.get("$defs", {}).values()):
        schema.pop("description", None)
    return found


def _untitled(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _untitled(value)
            for key, value in node.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_untitled(value) for value in node]
    return node


def _nullable_dropped(spec: dict[str, Any]) -> dict[str, Any]:
    """A query parameter that may be left out is written as its type, not ``T | null``."""
    kinds = [s for s in spec.get("anyOf", []) if s != {"type": "null"}]
    if len(kinds) == 1:
        rest = {k: v for k, v in spec.items() if k != "anyOf"}
        return kinds[0] | rest
    return spec


def dumped(schema: dict[str, Any]) -> str:
    """The description as committed (docs/openapi.json): stable, readable Japanese."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"

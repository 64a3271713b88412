"""``/api/v1`` handlers: parse, call one inbound service, answer JSON.

Orders: PUT creates or replaces by OMS id and version (older or equal
versions are acknowledged with ``"status": "ignored"``); POST .../cancel
cancels until handover. Catalog and stock: batch upserts by SKU. Every
request is signed (see ``sync.signing``); errors are ``{"errors": [...]}``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post, put
from litestar.params import FromPath, JSONBody

from app.api.signed import (
    ERROR_RESPONSES,
    EXCEPTION_HANDLERS,
    answer,
    signed,
    signed_by_oms,
)
from app.services import inbound
from app.web.deps import new_uow, reading
from sync.contract import (
    CancelIn,
    CatalogEntryOut,
    CatalogIn,
    OrderAck,
    OrderIn,
    StockIn,
    UpsertAck,
)

Req = Request[Any, Any, Any]
ORDER = "/stores/{store:str}/orders/{oms_id:str}"


@put(ORDER, status_code=200, responses=ERROR_RESPONSES,
     summary="Create or replace an order by OMS id and version")
async def put_order(request: Req, store: FromPath[str], oms_id: FromPath[str],
                    data: JSONBody[OrderIn]) -> Response[OrderAck]:
    """A newer version replaces the order (while picking: see the revision rules
    in picking.lifecycle); an older or equal one is acknowledged and ignored."""
    return answer(request, await inbound.put_order(new_uow(request), store, oms_id, data,
                                                   signed(request)))


@post(ORDER + "/cancel", status_code=200, responses=ERROR_RESPONSES,
     summary="Cancel an order (until handover)")
async def cancel_order(request: Req, store: FromPath[str], oms_id: FromPath[str],
                       data: JSONBody[CancelIn]) -> Response[OrderAck]:
    return answer(request, await inbound.cancel_order(new_uow(request), store, oms_id, data,
                                                      signed(request)))


@post("/stores/{store:str}/catalog", status_code=200, responses=ERROR_RESPONSES,
     summary="Upsert catalog entries by SKU")
async def upsert_catalog(request: Req, store: FromPath[str],
                         data: JSONBody[CatalogIn]) -> Response[UpsertAck]:
    return answer(request, await inbound.upsert_catalog(new_uow(request), store, data,
                                                        signed(request)))


@post("/stores/{store:str}/stock", status_code=200, responses=ERROR_RESPONSES,
     summary="Set stock levels by SKU")
async def set_stock(request: Req, store: FromPath[str],
                    data: JSONBody[StockIn]) -> Response[UpsertAck]:
    return answer(request, await inbound.set_stock(new_uow(request), store, data,
                                                   signed(request)))


@get("/stores/{store:str}/catalog", responses=ERROR_RESPONSES,
     summary="The store's catalog as the OMS sees it")
async def get_catalog(request: Req, store: FromPath[str]) -> Response[list[CatalogEntryOut]]:
    async with reading(request) as session:
        return answer(request, await inbound.catalog_for_oms(session, store))


def api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[put_order, cancel_order, upsert_catalog, set_stock, get_catalog],
        guards=[signed_by_oms], exception_handlers=EXCEPTION_HANDLERS, tags=["OMS"])

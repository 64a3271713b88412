"""``/api/v1`` handlers: parse, call one inbound service, answer JSON.

Orders: PUT creates or replaces by OMS id and version (older or equal
versions are acknowledged with ``"status": "ignored"``); POST .../cancel
cancels until handover. Catalog and stock: batch upserts by SKU. Every
request is signed (see ``sync.signing``); errors are ``{"errors": [...]}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post, put
from litestar.params import JSONBody, Parameter

from app import inbound_queries
from app.api.signed import (
    BODY_TYPES,
    ERROR_RESPONSES,
    EXCEPTION_HANDLERS,
    answer,
    signed,
    signed_by_oms,
)
from app.services import inbound
from app.web.deps import new_uow, reading
from sync.contract import (
    MAX_BODY_BYTES,
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
StoreCode = Annotated[str, Parameter(min_length=1, max_length=32)]
OmsId = Annotated[str, Parameter(min_length=1, max_length=64)]


@put(ORDER, status_code=200, responses=ERROR_RESPONSES,
     summary="Create or replace an order by OMS id and version")
async def put_order(request: Req, store: StoreCode, oms_id: OmsId,
                    data: JSONBody[OrderIn]) -> Response[OrderAck]:
    """A newer version replaces the order (while picking: see the revision rules
    in picking.lifecycle); an older or equal one is acknowledged and ignored."""
    return answer(request, await inbound.put_order(new_uow(request), store, oms_id, data,
                                                   signed(request)))


@post(ORDER + "/cancel", status_code=200, responses=ERROR_RESPONSES,
     summary="Cancel an order (until handover)")
async def cancel_order(request: Req, store: StoreCode, oms_id: OmsId,
                       data: JSONBody[CancelIn]) -> Response[OrderAck]:
    return answer(request, await inbound.cancel_order(new_uow(request), store, oms_id, data,
                                                      signed(request)))


@post("/stores/{store:str}/catalog", status_code=200, responses=ERROR_RESPONSES,
     summary="Upsert catalog entries by SKU")
async def upsert_catalog(request: Req, store: StoreCode,
                         data: JSONBody[CatalogIn]) -> Response[UpsertAck]:
    return answer(request, await inbound.upsert_catalog(new_uow(request), store, data,
                                                        signed(request)))


@post("/stores/{store:str}/stock", status_code=200, responses=ERROR_RESPONSES,
     summary="Set stock levels by SKU")
async def set_stock(request: Req, store: StoreCode,
                    data: JSONBody[StockIn]) -> Response[UpsertAck]:
    return answer(request, await inbound.set_stock(new_uow(request), store, data,
                                                   signed(request)))


@get("/stores/{store:str}/catalog", responses=ERROR_RESPONSES,
     summary="The store's catalog as the OMS sees it")
async def get_catalog(request: Req, store: StoreCode) -> Response[list[CatalogEntryOut]]:
    async with reading(request) as session:
        return answer(request, await inbound_queries.catalog_for_oms(session, store))


BODY_TYPES.update({"put_order": OrderIn, "cancel_order": CancelIn,
                   "upsert_catalog": CatalogIn, "set_stock": StockIn})


def api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[put_order, cancel_order, upsert_catalog, set_stock, get_catalog],
        guards=[signed_by_oms], exception_handlers=EXCEPTION_HANDLERS, tags=["OMS"],
        request_max_body_size=MAX_BODY_BYTES)

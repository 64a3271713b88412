"""Handlers of the feature areas beyond the picker's core loop.

Each area keeps its handlers in its own module and is listed here once, so
adding an area never means editing the app factory.
"""

from __future__ import annotations

from typing import Any


def feature_handlers() -> list[Any]:
    from app.api.v1 import api_router
    from app.web.board import BoardController
    from app.web.collect import CollectController
    from app.web.courier import CourierController
    from app.web.customer import HANDLERS as CUSTOMER_HANDLERS
    from app.web.dead_letters import DeadLetterController
    from app.web.pace import PaceController
    from app.web.packing import PackingController
    from app.web.photo_scan import propose_photo, scan_photo
    from app.web.proposal_photos import ProposalPhotoController, customer_photo
    from app.web.push import PushController
    from app.web.runs import BoardRunsController, RunController
    from app.web.substitutes import SubstituteController
    from app.web.weight_question import ask_weight

    return [api_router(), DeadLetterController, BoardController, SubstituteController,
            *CUSTOMER_HANDLERS, PackingController, CourierController, CollectController,
            scan_photo, propose_photo, ask_weight, ProposalPhotoController, customer_photo,
            RunController, BoardRunsController, PaceController, PushController]

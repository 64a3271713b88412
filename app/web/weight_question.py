"""The picker asks the customer about a weighed item heavier than the soft band
(issue 15, item 5): "1.5 kg, 150 ₽ more: keep it?" on the customer's link.

Offered beside "Keep this weight" when a scan or a typed weight is over the band;
the answer comes back live like a substitute's (the pick page's live stream).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.params import FromPath
from litestar.response import Response

from app.auth import requires_area
from app.i18n import gettext as _
from app.services import oos
from app.web.deps import clock, new_uow, public_base_url
from app.web.forms import FormError, parse_weight
from app.web.messages import Feedback

Req = Request[Any, Any, Any]


@post("/pick/{order_id:int}/ask-weight", name="pick:ask_weight",
      guards=[requires_area("pick")])
async def ask_weight(request: Req, order_id: FromPath[int]) -> Response[Any]:
    """``code`` (a scale label), or ``line_id`` and ``weight`` (typed)."""
    from app.web import picker
    from picking import errors

    form = await request.form()
    code = str(form.get("code", "")).strip() or None
    try:
        line_id = weight = None
        if code is None:
            line_id = int(str(form.get("line_id", "")))
            weight = parse_weight(form.get("weight"), form.get("weight_unit"))
        settings = request.app.state.settings
        line = await oos.ask_about_weight(
            new_uow(request), request.user, order_id, code=code, line_id=line_id,
            weight_g=weight, now=clock(request),
            window_minutes=settings.substitution_window_minutes,
            base_url=public_base_url(request))
    except ValueError:
        return await picker._scan_failed(request, order_id, FormError(
            _("Type the weight again.")), "")
    except (errors.PickingError, FormError) as err:
        return await picker._scan_failed(request, order_id, err, code or "")
    text = _("%(name)s: the customer is asked whether to keep it. Their answer will show "
             "here.", name=line.product.name(request.user.language))
    return await picker._after_action(request, order_id, Feedback("ok", text), line=line)

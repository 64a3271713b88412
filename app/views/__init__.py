"""Read models for the screens (issue 10, item 4): what a template renders, and nothing else.

Each module is one family of screens. A view is a frozen dataclass derived by a pure
function from the aggregate (or from query rows) at the moment it is shown; templates
never see the write side's ``Order``, ``Line`` or ``Proposal`` (the test guard
``tests/support/view_guard.py`` fails any render that does). Catalog entries
(``Product``) and handover records (``Bag``) are plain records and may appear in a view.
"""

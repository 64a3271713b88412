"""The events and errors of packing and handover (see ``picking.handover``)."""

from __future__ import annotations

from picking import errors, events

REFUSAL_REASONS = ("substitute", "damaged", "expired", "unwanted", "other")
FAILURE_REASONS = ("customer_absent", "wrong_address", "refused", "other")


# -- events (defined with every outbound event in picking.events) -------------

OrderPacked = events.OrderPacked
OrderHandedOver = events.OrderHandedOver
OrderDelivered = events.OrderDelivered
DeliveryFailed = events.DeliveryFailed
OrderReturned = events.OrderReturned


# -- errors (defined with every domain error in picking.errors) ---------------

WrongHandoverStep = errors.WrongHandoverStep
InvalidPacking = errors.InvalidPacking
NothingToPack = errors.NothingToPack
BadBag = errors.BadBag
BagFromAnotherOrder = errors.BagFromAnotherOrder
UnknownBag = errors.UnknownBag
BagsMissing = errors.BagsMissing
NotYourDelivery = errors.NotYourDelivery
IdCheckRequired = errors.IdCheckRequired
InvalidRefusal = errors.InvalidRefusal
PickupCodeNotChecked = errors.PickupCodeNotChecked
WrongPickupCode = errors.WrongPickupCode
TooManyPickupAttempts = errors.TooManyPickupAttempts
PickupCodeAlreadyUsed = errors.PickupCodeAlreadyUsed

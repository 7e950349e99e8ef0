"""Moderation on the network: hide, unhide, delete, like and unlike a message, mirrored in Carebox.

actions.py does one action for a person (`moderate`, `moderate_many`) or for a rule (`perform_pending`);
applicable.py says which actions make sense for which message; refusals.py words the failures;
pending.py works through what rules asked for (the worker's job).
"""
from app.moderation.actions import MAX_BULK, PERMISSIONS, moderate, moderate_many, perform_pending
from app.moderation.pending import run_pending

__all__ = ["MAX_BULK", "PERMISSIONS", "moderate", "moderate_many", "perform_pending", "run_pending"]

"""Core systems (基幹システム) as plugins (STYLE.md §4).

A plugin is madoguchi's side of one core system's link: its item layout, how a batch file
reaches it and how its result file reads. Which plugin and which 方式 serve each core system
named in the catalog is configuration (``MADOGUCHI_CORE_SYSTEMS_FILE``, see
docs/core-systems.md); without one, every core system is linked by 方式1 転記.
"""

from ..records import Item
from .base import CoreSystem, DeliveryError, ResultLine
from .registry import all_core_systems, core_system

__all__ = [
    "CoreSystem",
    "DeliveryError",
    "Item",
    "ResultLine",
    "all_core_systems",
    "core_system",
]

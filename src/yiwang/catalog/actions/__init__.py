"""Write path for the type catalogue and the component inventory (部件普查).

- `object_types`: local extension types and the switches of every type
- `components`: register one component or import an inventory file
- `component_checks`, `component_files`: what a component record must satisfy, and reading
  CSV / GeoJSON files into records (no writes)
"""

from yiwang.catalog.actions.component_checks import COLUMNS, REQUIRED_COLUMNS
from yiwang.catalog.actions.components import create_component, import_components
from yiwang.catalog.actions.object_types import check_local_type, create_local_type, update_type

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "check_local_type",
    "create_component",
    "create_local_type",
    "import_components",
    "update_type",
]

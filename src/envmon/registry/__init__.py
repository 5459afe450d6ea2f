"""Registry: regions (GB/T 2260), units, outlets, monitoring points; CSV/XLSX import and export.

`api` holds the use cases of `envmon registry …`; `tables` the registry tables as numbered
migrations; the store's registry repository (`store.registry_repo`) reads and writes them.
"""

from __future__ import annotations

from envmon.registry.codes import uscc_check_char, uscc_problem
from envmon.registry.importer import (
    COLUMNS,
    ImportReport,
    RegistryFileError,
    RowProblem,
    import_file,
    import_rows,
    read_registry_file,
    validate_rows,
)

__all__ = [
    "COLUMNS",
    "ImportReport",
    "RegistryFileError",
    "RowProblem",
    "import_file",
    "import_rows",
    "read_registry_file",
    "uscc_check_char",
    "uscc_problem",
    "validate_rows",
]

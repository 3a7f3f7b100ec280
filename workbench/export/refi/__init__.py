"""REFI-QDA project exchange (.qdpx): export to and import from NVivo, ATLAS.ti, MAXQDA, QualCoder, qc."""
from __future__ import annotations

from workbench.export.refi.qdpx_export import export_qdpx
from workbench.export.refi.qdpx_import import ImportReport, QdpxError, SkippedItem, import_qdpx
from workbench.export.refi.safezip import ArchiveError, SafeZip, ZipLimits

__all__ = ["ArchiveError", "ImportReport", "QdpxError", "SafeZip", "SkippedItem", "ZipLimits", "export_qdpx",
           "import_qdpx"]

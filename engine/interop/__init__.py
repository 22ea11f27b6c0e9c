"""Interoperability (issue 16): gait-tool import (OpenCap/OpenSim .mot, Kinovea CSV, generic CSV)
and export of a plan as a FHIR R4 Bundle or a paste-in note.

Plain Python, no third-party imports: the CLI imports these lazily, and the web desk calls
:func:`engine.interop.gait.import_gait` directly.
"""

"""rehab-rules: an exercise-prescription rules engine for clinicians who treat runners."""

__version__ = "0.1.0"

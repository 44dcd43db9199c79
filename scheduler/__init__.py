"""The scheduler process and its jobs: reminders, follow-ups, late cases, the watch list's
checks and housekeeping, run by one process at a time.

To add a job, write it in a module here with @job (see scheduler/jobs.py) and import the module below.
"""
from scheduler import (  # noqa: F401  (importing a job module registers its jobs)
    digest,
    followups,
    housekeeping,
    late_cases,
    reminders,
    watch,
)

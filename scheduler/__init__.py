"""The scheduler process and its jobs: reminders, follow-ups, late cases and housekeeping, run by one process at a time.

To add a job, write it in a module here with @job (see scheduler/jobs.py) and import the module below.
"""
from scheduler import followups, housekeeping, late_cases, reminders  # noqa: F401  (importing registers the jobs)

"""`comptoir worker`: runs background tasks (django-tasks-db's db_worker) and, beside
them, the scheduler that queues periodic jobs (core/scheduler.py)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from comptoir.core.scheduler import TICK_SECONDS, SchedulerThread


class Command(BaseCommand):
    help = "Run the background-task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*", help="Queue(s) to serve; * for all.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--batch", action="store_true", help="Exit once the queue is empty.")
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not queue periodic jobs from this worker (another one does).",
        )
        parser.add_argument(
            "--scheduler-interval",
            type=float,
            default=TICK_SECONDS,
            help="Seconds between two looks at the periodic jobs.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_args = [
            "--queue-name",
            options["queue_name"],
            "--interval",
            str(options["interval"]),
            # Reloading can stop a task mid-way; restart the worker to pick up new code.
            "--no-reload",
        ]
        if options["batch"]:
            worker_args.append("--batch")
        # A batch run drains the queue and exits: no periodic work to plan for.
        scheduler = None
        if options["scheduler"] and not options["batch"]:
            scheduler = SchedulerThread(interval=options["scheduler_interval"])
            scheduler.start()
        try:
            # db_worker handles SIGTERM/SIGINT: it finishes the running task, then returns
            # (or raises SystemExit while idle); either way the scheduler stops with it.
            call_command("db_worker", *worker_args)
        finally:
            if scheduler is not None:
                scheduler.stop()

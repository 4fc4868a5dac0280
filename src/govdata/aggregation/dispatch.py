"""Starting queued runs: in a process of their own, in the caller, or not at all.

``subprocess`` (the default) runs each load in a separate ``govdata
aggregation execute`` process, so a load cannot take the web server down
with it, and a killed load is just a dead process whose run is reaped.
``inline`` executes in the requesting process after its transaction commits
(tests, and the CLI's foreground runs). ``none`` leaves runs queued for a
``govdata aggregation worker`` elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

from govdata.settings import Settings


class JobDispatcher:
    """Starts queued runs the way the node is configured to."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mode = settings.job_runner
        self.inline: Callable[[str], object] | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def bind_inline(self, executor: Callable[[str], object]) -> None:
        """What ``inline`` mode calls (the app and the CLI bind their executor)."""
        self.inline = executor

    def dispatch(self, run_id: str) -> None:
        if self.mode == "none":
            return
        if self.mode == "inline":
            if self.inline is None:
                raise RuntimeError("inline job runner has no executor bound")
            self.inline(run_id)
            return
        self.processes[run_id] = spawn_run_process(self.settings, run_id)
        self._forget_finished()

    def _forget_finished(self) -> None:
        for run_id, process in list(self.processes.items()):
            if process.poll() is not None:
                del self.processes[run_id]


def spawn_run_process(settings: Settings, run_id: str) -> subprocess.Popen[bytes]:
    """A separate process executing one run, with this node's settings."""
    logs = settings.data_dir / "logs" / "runs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["GOVDATA_DATA_DIR"] = str(settings.data_dir.resolve())
    env["GOVDATA_DATABASE_URL"] = settings.effective_database_url
    env["GOVDATA_LAKE_URI"] = settings.effective_lake_uri
    if settings.lake_storage_options:
        env["GOVDATA_LAKE_STORAGE_OPTIONS"] = json.dumps(settings.lake_storage_options)
    env["GOVDATA_JOB_RUNNER"] = "inline"
    with (logs / f"{run_id}.log").open("ab") as output:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "govdata", "aggregation", "execute", run_id],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

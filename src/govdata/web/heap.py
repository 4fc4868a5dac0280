"""The serving process's heap and Python's cyclic garbage collector.

A full (generation 2) collection walks every object the process holds. After
start-up a node holds about 320,000 (modules, mappers, routes, schemas, the
search index's reader), so each full collection under load paused every request
for 40–270 ms on the benchmark machine (services benchmark, measured with
``gc.callbacks``) and made most of the services' 99th-percentile latency. Once the app
is ready, one collection clears start-up garbage and ``gc.freeze`` moves what is
left into a generation the collector no longer visits; objects made while serving
are collected as before. A frozen object that later becomes garbage is kept:
start-up objects live as long as the process anyway.
"""

from __future__ import annotations

import gc


def freeze_start_up_objects() -> None:
    gc.collect()
    gc.freeze()

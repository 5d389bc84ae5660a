"""Distributed runs on Dask: partition a source, run each partition with the ordinary engine
on a worker, and commit the target once (``ETLOrchestrator.run(executor="dask")``)."""

from __future__ import annotations

from .partitioning import Partition, PartitionPlan, plan_partitions
from .progress import PartitionProgress
from .runner import run_distributed, run_partition
from .targets import ALLOWED, make_target

__all__ = [
    "ALLOWED",
    "Partition",
    "PartitionPlan",
    "PartitionProgress",
    "make_target",
    "plan_partitions",
    "run_distributed",
    "run_partition",
]

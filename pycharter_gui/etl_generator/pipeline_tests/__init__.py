"""Pipeline tests from a sample (golden data): save a test case, run it, accept new output.

A test case is a folder ``<pipeline>/tests/<name>/``::

    test.yaml                    names the files below; ignore_fields, dry_load, description
    input.jsonl (or input.csv)   the records given to the transform, one per line
    expected.jsonl               {"row": n, "record": {...}} per record that would be loaded
    expected_dead_letters.jsonl  {"row", "stage", "reason", "field", "message", "record"}

``row`` is the 1-based line of the input the record came from. Running a case applies the
pipeline's transform (``transform_batch``), its contract when it has one and a dry load (which
writes nothing) to the input, and compares with the expectation cell by cell. Every file is JSON
with sorted keys, one record per line, so a review in git shows the rows that changed.

Modules: ``model`` (cases, outputs, differences, results), ``files`` (a case's folder),
``output`` (what the pipeline makes of an input), ``compare``, ``running``, ``saving`` and
``junit`` (JUnit XML).
"""

from __future__ import annotations

from .compare import compare_outputs
from .files import list_pipeline_tests, read_input
from .junit import junit_xml
from .model import ABSENT, OutputDifference, PipelineOutput, PipelineTestCase, PipelineTestResult
from .output import pipeline_output
from .running import accept_test_output, run_pipeline_test, run_pipeline_tests
from .saving import save_pipeline_test

__all__ = [
    "ABSENT",
    "OutputDifference",
    "PipelineOutput",
    "PipelineTestCase",
    "PipelineTestResult",
    "accept_test_output",
    "compare_outputs",
    "junit_xml",
    "list_pipeline_tests",
    "pipeline_output",
    "read_input",
    "run_pipeline_test",
    "run_pipeline_tests",
    "save_pipeline_test",
]

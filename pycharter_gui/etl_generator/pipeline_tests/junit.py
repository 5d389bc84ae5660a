"""JUnit XML of pipeline test results, for CI."""

from __future__ import annotations

from collections import Counter
from xml.etree import ElementTree as ET

from .model import PipelineTestResult


def junit_xml(results: list[PipelineTestResult], suite: str = "pycharter") -> str:
    """JUnit XML of ``results`` (one testcase per case; differences in the failure text)."""
    root = ET.Element("testsuites")
    by_pipeline: dict[str, list[PipelineTestResult]] = {}
    for res in results:
        by_pipeline.setdefault(res.case.pipeline_dir.name, []).append(res)
    for pipeline, items in by_pipeline.items():
        counts = Counter(r.status for r in items)
        node = ET.SubElement(root, "testsuite", name=f"{suite}.{pipeline}", tests=str(len(items)),
                             failures=str(counts["failed"]), errors=str(counts["error"]),
                             skipped=str(counts["skipped"]),
                             time=f"{sum(r.seconds for r in items):.3f}")
        for res in items:
            case = ET.SubElement(node, "testcase", classname=f"{suite}.{pipeline}",
                                 name=res.name, time=f"{res.seconds:.3f}")
            if res.status == "failed":
                fail = ET.SubElement(case, "failure", message=res.message)
                fail.text = "\n".join(d.describe() for d in res.differences)
            elif res.status == "error":
                ET.SubElement(case, "error", message=res.message)
            elif res.status == "skipped":
                ET.SubElement(case, "skipped", message=res.message)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

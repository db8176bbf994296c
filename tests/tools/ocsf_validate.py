#!/usr/bin/env python3
"""Validates `isoguard-collector report --format ocsf` output with a third-party OCSF model.

Usage: ocsf_validate.py EVENTS.jsonl
Every line must be one OCSF Compliance Finding that py-ocsf-models
(`ComplianceFinding`, PyPI py-ocsf-models 0.10.0, OCSF 1.5 models) accepts in strict
mode, plus the constants the models do not check. Prints "OK <lines>" and exits 0;
prints each problem with its line number and exits 1 otherwise.

py-ocsf-models makes `device.ip` and `device.region` required, where OCSF (1.5 through
1.8) only recommends them; a collector knows neither for a workstation, so only these
two are relaxed here. Everything else is the package's own model.
"""
import json
import sys
from typing import Optional

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.objects.device import Device


class WorkstationDevice(Device):
    ip: Optional[str] = None
    region: Optional[str] = None


class IsoguardComplianceFinding(ComplianceFinding):
    device: Optional[WorkstationDevice] = None


# What the models leave unchecked (they default or accept any int): OCSF's constants for a
# Compliance Finding that reports a failed control, and the fields OCSF 1.8 requires.
CONSTANTS = {
    ("class_uid",): 2003,
    ("category_uid",): 2,
    ("activity_id",): 1,
    ("type_uid",): 200301,
    ("metadata", "version"): "1.8.0",
    ("compliance", "status_id"): 3,
    ("compliance", "status"): "Fail",
}
SEVERITY_IDS = {0, 1, 2, 3, 4, 5, 6, 99}


def get(obj, path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def problems(line):
    try:
        event = json.loads(line)
    except ValueError as err:
        return [f"not JSON: {err}"]
    found = []
    try:
        IsoguardComplianceFinding.model_validate_json(line, strict=True)
    except Exception as err:  # pydantic.ValidationError, with every field it refused
        found.append(f"py-ocsf-models: {err}")
    for path, want in CONSTANTS.items():
        if get(event, path) != want:
            found.append(f"{'.'.join(path)} is {get(event, path)!r}, not {want!r}")
    if event.get("type_uid") != event.get("class_uid", 0) * 100 + event.get("activity_id", 0):
        found.append("type_uid is not class_uid * 100 + activity_id")
    if event.get("severity_id") not in SEVERITY_IDS:
        found.append(f"severity_id {event.get('severity_id')!r} is not an OCSF severity")
    time = event.get("time")
    # Epoch milliseconds: after 2001 and before 2286 (seconds would be far smaller).
    if not isinstance(time, int) or not 10**12 <= time < 10**13:
        found.append(f"time {time!r} is not epoch milliseconds")
    for path in [("metadata", "product"), ("finding_info", "uid"), ("compliance", "control")]:
        if not get(event, path):
            found.append(f"{'.'.join(path)} is missing or empty")
    standards = get(event, ("compliance", "standards"))
    if not isinstance(standards, list) or not standards:
        found.append("compliance.standards (required in OCSF 1.8) is missing or empty")
    return found


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    failed = False
    for number, line in enumerate(lines, 1):
        for problem in problems(line):
            failed = True
            print(f"line {number}: {problem}")
    if failed:
        sys.exit(1)
    print("OK", len(lines))


main()

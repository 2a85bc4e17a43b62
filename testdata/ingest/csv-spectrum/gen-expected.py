#!/usr/bin/env python3
# gen-expected.py: write expected/NAME.jsonl from json/NAME.json, one
# compact JSON object a line, keys in the order of the file, in the form
# crm-ingest --output-format jsonl writes (no spaces, UTF-8 as is).  Run
# by hand from this folder when the upstream files change, and review the
# diff; the test (tests/cli/t020-crm-ingest-csv-spectrum.sh) only compares.
#
# One correction is applied, see ERRATA and README.md.
import glob
import json
import os

# Upstream's expected value that contradicts its own CSV at the pinned
# commit: (case, field) -> (value in json/, value in csvs/).
ERRATA = {
    ("location_coordinates", "Contact Phone Number"): ("1234567890", "2095257564"),
}


def main():
    os.makedirs("expected", exist_ok=True)
    for path in sorted(glob.glob("json/*.json")):
        name = os.path.basename(path)[: -len(".json")]
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict):  # location_coordinates.json is one object
            data = [data]
        lines = []
        for obj in data:
            for (case, field), (old, new) in ERRATA.items():
                if case == name and obj.get(field) == old:
                    obj[field] = new
            lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
        with open(os.path.join("expected", name + ".jsonl"), "w", encoding="utf-8", newline="") as f:
            for line in lines:
                f.write(line + "\n")


if __name__ == "__main__":
    main()

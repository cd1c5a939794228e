"""Print pip constraints pinning every runtime dependency of pyproject.toml to
the lowest release it allows ("numpy>=1.24" -> "numpy==1.24"), so CI can run the
suite against the oldest releases the project says it works with."""
import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"]:
    spec = requirement.split(";")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)", spec)
    if match is None:
        sys.exit(f"oldest-constraints: cannot read a lower bound from {requirement!r}")
    print(f"{match.group(1)}=={match.group(2)}")

"""Mutation testing of the pure rule modules with cosmic-ray, one module against its own unit tests.

    python mutate/run.py                 every module in mutate/modules.toml
    python mutate/run.py workdays agreements   modules whose path contains one of the words

For each module: a fresh cosmic-ray session in .local/mutate/, the operators that change behaviour in
rule code (comparisons and their boundaries, + and -, * and /, and/or, not, True/False, numbers,
removed decorators, replaced exceptions, loops that never run, break/continue), a baseline run that
must pass, then every mutant against the module's tests. A mutant is killed when a test fails or
times out; it survives when every test passes. Survivors listed in mutate/accepted.toml (equivalent
mutants, with the reason) are left out of the score. Prints one row per module and every other
survivor with its diff; exits 1 when a module scores under the threshold.

Cosmic-ray mutates the file in place and puts it back after each mutant: do not edit the module or
run its tests elsewhere in this checkout while it runs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
WORK = REPO / ".local" / "mutate"
THRESHOLD = 90.0
BIN = Path(sys.executable).parent

EXCLUDED_OPERATORS = [
    # Bit, power, modulo and floor-division swaps: rule code does date and count arithmetic with + - * /.
    r"core/ReplaceBinaryOperator_.*_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|Mod|FloorDiv)$",
    r"core/ReplaceBinaryOperator_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|Mod|FloorDiv)_.*",
    r"core/ReplaceUnaryOperator_.*Invert.*",
    # Renaming or inserting variables makes mostly code that fails to run, which says nothing of tests.
    r"core/VariableReplacer",
    r"core/VariableInserter",
]


@dataclass
class Result:
    path: str
    killed: int = 0
    survived: list[dict] = field(default_factory=list)
    accepted: list[dict] = field(default_factory=list)
    incompetent: int = 0

    @property
    def counted(self) -> int:
        return self.killed + len(self.survived)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def config(module: dict) -> str:
    tests = " ".join(module["tests"])
    command = f"{BIN / 'python'} -m pytest -x -q -p no:cacheprovider --no-header -m unit {tests}"
    excluded = ", ".join(json.dumps(op) for op in EXCLUDED_OPERATORS)
    return (f'[cosmic-ray]\nmodule-path = "{module["path"]}"\ntimeout = {module.get("timeout", 60.0)}\n'
            f'excluded-modules = []\ntest-command = {json.dumps(command)}\n\n'
            f'[cosmic-ray.distributor]\nname = "local"\n\n'
            f'[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n')


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=REPO, capture_output=True, text=True)


def mutate(module: dict) -> Result:
    name = slug(module["path"])
    cfg, db = WORK / f"{name}.toml", WORK / f"{name}.sqlite"
    cfg.write_text(config(module))
    db.unlink(missing_ok=True)
    for step in ((BIN / "cosmic-ray", "init", cfg, db), (BIN / "cr-filter-operators", db, cfg),
                 (BIN / "cr-filter-pragma", db), (BIN / "cosmic-ray", "baseline", cfg),
                 (BIN / "cosmic-ray", "exec", cfg, db)):
        done = run(*step)
        if done.returncode != 0:
            raise SystemExit(f"{module['path']}: `{' '.join(map(str, step[:2]))}` failed (the unit tests must pass "
                             f"unmutated first):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return tally(module["path"], run(BIN / "cosmic-ray", "dump", db).stdout)


def tally(path: str, dump: str) -> Result:
    result = Result(path)
    lines = (REPO / path).read_text().splitlines()
    accepted = accepted_survivors()
    for line in dump.splitlines():
        item, outcome = json.loads(line)
        if outcome is None or outcome["worker_outcome"] == "skipped":
            continue
        mutation = item["mutations"][0]
        test = outcome["test_outcome"]
        if outcome["worker_outcome"] == "timeout" or test == "killed":
            result.killed += 1
        elif test == "incompetent":
            result.incompetent += 1
        else:
            code = lines[mutation["start_pos"][0] - 1].strip()
            survivor = {"operator": mutation["operator_name"], "line": mutation["start_pos"][0], "code": code,
                        "diff": outcome.get("diff") or ""}
            key = (path, mutation["operator_name"], code)
            (result.accepted if key in accepted else result.survived).append(survivor)
    return result


def accepted_survivors() -> set[tuple[str, str, str]]:
    data = tomllib.loads((HERE / "accepted.toml").read_text())
    for entry in data.get("accepted", []):
        if not entry.get("reason", "").strip():
            raise SystemExit(f"mutate/accepted.toml: {entry.get('path')}:{entry.get('code')} has no reason")
    return {(e["path"], e["operator"], e["code"].strip()) for e in data.get("accepted", [])}


def report(results: list[Result]) -> bool:
    print(f"\n{'module':60} {'mutants':>7} {'killed':>6} {'survived':>8} {'accepted':>8} {'score':>6}")
    for r in results:
        print(f"{r.path:60} {r.counted + len(r.accepted):>7} {r.killed:>6} {len(r.survived):>8} "
              f"{len(r.accepted):>8} {r.score:>5.0f}%")
    for r in results:
        for s in r.survived:
            print(f"\nSURVIVED {r.path}:{s['line']} {s['operator']}\n    {s['code']}")
            print("".join(f"    {d}\n" for d in s["diff"].splitlines() if d[:1] in "+-" and d[:3] not in ("+++", "---")),
                  end="")
    return all(r.score >= THRESHOLD for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only modules whose path contains one of these words")
    args = parser.parse_args()
    modules = tomllib.loads((HERE / "modules.toml").read_text())["module"]
    chosen = [m for m in modules if not args.only or any(word in m["path"] for word in args.only)]
    if not chosen:
        raise SystemExit(f"no module in mutate/modules.toml matches {args.only}")
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for module in chosen:
        print(f"mutating {module['path']} …", flush=True)
        results.append(mutate(module))
    ok = report(results)
    print(f"\n{'every module reaches' if ok else 'NOT every module reaches'} {THRESHOLD:.0f}% "
          "(equivalent survivors in mutate/accepted.toml left out)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

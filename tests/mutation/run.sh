#!/usr/bin/env bash
# Mutation testing (mutmut 3) over the engine's core: service.py, interpreter/, adapters/,
# limits.py. Slow (hours on 2 shared cores), so not part of .ci/run. README: "Mutation
# testing".
#
#   tests/mutation/run.sh             # fresh run: stage, mutate, test, print the score
#   tests/mutation/run.sh --resume    # go on with an interrupted run (mutmut keeps results;
#                                     # a changed [tool.mutmut] makes it start over)
#   MUTATION_JOBS=2 tests/mutation/run.sh   # worker processes (default 1)
#
# After adding tests, tests/mutation/recheck.py runs the survivors against them.
#
# mutmut 3 names a mutant's module after its path below ./, src/ or source/, and checks that
# name against the imported module's __name__. Our package lives in functions/, so the run is
# staged in build/mutation/ with the package as src/steplane (its template.yaml beside
# local/template.py, where a built wheel carries it). Configuration: [tool.mutmut] in
# pyproject.toml. Results: build/mutation/mutants/ (`cd build/mutation && mutmut browse`);
# one line per survivor: `cd build/mutation && python ../../tests/mutation/survivors.py`.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
stage="$root/build/mutation"
jobs="${MUTATION_JOBS:-1}"
mode="${1:-}"

if [[ -z "$mode" ]]; then
    rm -rf "$stage"
fi
mkdir -p "$stage/src"
if [[ ! -d "$stage/src/steplane" ]]; then
    cp -r functions/steplane "$stage/src/steplane"
    cp template.yaml "$stage/src/steplane/local/template.yaml"
    find "$stage/src" -name __pycache__ -prune -exec rm -rf {} +
fi
rm -rf "$stage/tests"
cp -r tests pyproject.toml template.yaml statemachines "$stage/"
find "$stage/tests" -name __pycache__ -prune -exec rm -rf {} +

cd "$stage"
# mutmut puts the mutated src/ first on the path (before the editable install).
export PYTHONPATH=""
start=$SECONDS
mutmut run --max-children "$jobs"
echo "mutation run took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
python "$root/tests/mutation/score.py" mutants

"""The Amazon States Language itself: what both the definition and the interpreter read.

Reference paths (syntax, reading, placing), timestamps, string-match wildcards, and the
one failure type an ASL evaluation raises (``AslError``: an error name and a cause).
Below ``steplane.definition`` (which validates with it at load) and
``steplane.interpreter`` (which evaluates with it); it imports neither.
"""

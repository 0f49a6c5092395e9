"""Service integrations: a Task's Resource that calls Lambda or an AWS service, as Step
Functions does (``resources`` classifies; one module per integration performs it)."""

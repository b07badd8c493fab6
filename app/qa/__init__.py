"""Quality: the call log, scorecards, sampling rules, evaluations and reports."""

"""Use cases behind every front end (CLI, web desk): plain typed functions returning results.

Nothing here prints or parses arguments; ``engine.cli`` and the web desk call exactly these.

* ``clinic.Clinic``: content folders + paper; ``content()`` loads once, ``reload()`` forgets.
* ``planning``: ``plan_assessment``, ``progress``, ``plan_batch``, ``Outputs``, ``read_*``.
* ``explain``: ``explain`` (data), ``explain_text``, ``explain_json``.
* ``history``: ``history(folder) -> History``.
* ``checks``: ``validate(paths)``, ``check_rules(clinic)``.
* ``rule_testing``: ``test_rules(clinic, path)``.
* ``catalogue``: facts, exercises, JSON Schemas.
* ``scaffold``, ``assess``: ``rehab new`` templates and the guided terminal entry.
"""

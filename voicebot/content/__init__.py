"""The editable content (FAQ topics, departments, prompts): its data shapes (``model``), loading with every
problem reported (``load``, ``check``) and the admin's format-preserving edits (``rules``, ``edit``, ``roundtrip``)."""

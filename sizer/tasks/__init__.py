"""Task suites: accuracy, latency and failure behaviour on built-in data and the user's own.

Layers: ``items`` (the JSONL format), ``suites`` (built-in data, versioned and hashed),
``prompts`` and ``answers`` (what is asked, how replies are read), ``metrics`` and ``score``
(pure scoring), ``behaviour`` (failure-behaviour probes), ``sandbox``/``jail`` (running
generated code), ``worker``/``generate`` (the model side, in a child process) and ``run``
(orchestration; the Python twin of ``sizer bench --tasks``).
"""

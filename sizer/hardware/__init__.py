"""What a machine is: the ``sizer.hardware`` record (``record``), the sourced database of
CPUs, SoCs and GPUs with string matching that never guesses (``db``, ``data/``), a database
entry as a record (``db_machine``), the one machine identity (``identity``) and llama.cpp's
thread count (``threads``). Pure data and functions: nothing here reads the live machine
(that is ``sizer.probe``) or predicts speed (``sizer.speed``)."""

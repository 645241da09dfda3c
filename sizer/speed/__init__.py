"""How fast a model runs on a machine: the model (``model``, pure), its parameters and every
source of them in order of trust (``sources``): runs measured here (``observe``), the
calibration's design and fit (``calibration``) and its cache (``cache``), the profile
corpus (``corpus``), the kernels-and-defaults prior (``prior``), and the figures of GPUs
and NPUs (``devices``). Nothing here starts a process: measuring is ``sizer.bench``'s."""

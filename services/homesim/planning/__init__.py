"""Planning a purchase: many years of the home, what they cost and what they pay back.

- :mod:`homesim.planning.plan`: ``homesim plan``, the home's years one by one with its battery
  ageing, priced against a baseline;
- :mod:`homesim.planning.optimize`: ``homesim optimize``, candidates ranked by a plan each;
- :mod:`homesim.planning.finance`: pure money functions (cash flows, NPV, IRR, payback, loans);
- :mod:`homesim.planning.ageing`: battery capacity fade, the published models;
- :mod:`homesim.planning.sweep`: a comparison or plan split into shards (the Kubernetes Indexed Job).

Above the fast-forward engine (:mod:`homesim.engine`), below the CLI and the live runtime.
"""

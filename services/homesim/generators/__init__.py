"""What homesim writes for other tools, from its own models (``make specs``, `cd/process_specs.sh`):

- :mod:`homesim.generators.specs`: the bus's AsyncAPI document (from :mod:`homesim.messages`),
  from which Modelina writes the UI's TypeScript models;
- :mod:`homesim.generators.k8s_schemas`: the Device CRD, the chart's values schema and its kinds
  and services templates, the UI's kinds file;
- :mod:`homesim.generators.compose`: ``docker-compose.yml`` and the credentials a Compose home
  needs.

Every file they write is checked for staleness in CI.
"""

"""Simulators: the field equipment the platform talks to, reproducible from a seed.

No real unit or taxi is needed to develop, test, benchmark or demonstrate envmon; these
stand in for them, over the same doors real ones use (TCP, CSV/HTTP), and every value they
send is a pure function of the seed, so a test can recompute what the platform must hold.

* ``values`` — `SimPoint` (one monitoring point) and plausible values per factor and period;
* ``dau`` — one data acquisition unit (数采仪) speaking HJ 212-2017 over TCP: uploads,
  waiting for 9014, answering 补遗 requests, and the faults of its `Faults` plan;
* ``fleet`` — many units with a seeded fault plan (`FaultRates`, `plan_faults`), their points
  taken from a store's registry or a registry file (`sim_points_from_store`,
  `sim_points_from_file`), and `FleetSummary`, the result `envmon simulate` renders;
* ``api`` — the `envmon simulate` use case: `SimulateOptions` (every option checked in one
  place, `OptionError` naming it), `registry_points` (a ``--registry`` file) and `fleet_for`;
* ``clock`` — `SimClock`, Beijing time that may run faster than the wall clock;
* ``taxis`` — taxi PM sensors driving a road network through a known pollution field (the
  roads domain's ground truth; `envmon simulate-taxis`).

Where things go: a new kind of fault is a field of `dau.Faults` (acted on in the unit) plus a
rate in `fleet.FaultRates`; a new simulated device is a module here with its own result
dataclass (``as_json``/``as_table``, rendered by `envmon.render`). Simulators only send what a
device would: they never write the store (the platform under test does), except the
throw-away store `sim_points_from_file` reads a registry file with. The commands that run
them live in `envmon.cli.serve` (`simulate`, `demo`) and `envmon.cli.roads`; `envmon.demo`
puts a fleet in front of the platform (`envmon.app`).
"""

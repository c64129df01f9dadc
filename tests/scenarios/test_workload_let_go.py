"""The workload driver lets go of each planned signal once it is handed over: by the end of the
safety phase no planned signal is held by anything of the run (the trace, the observations, the
driver, the runner), so a long run's memory does not carry its whole workload to its end."""
from __future__ import annotations

import gc
import weakref

import scenarios.runner as runner


def test_no_planned_signal_outlives_the_safety_phase(monkeypatch) -> None:
    planned_refs: list[weakref.ref] = []
    alive_at_heal: list[int] = []
    generate, heal_phase = runner.generate, runner.heal_phase

    def generate_watched(*args, **kwargs):
        planned = generate(*args, **kwargs)
        planned_refs.extend(weakref.ref(item) for item in planned)
        return planned

    async def heal_phase_watched(world):
        gc.collect()
        alive_at_heal.append(sum(ref() is not None for ref in planned_refs))
        return await heal_phase(world)

    monkeypatch.setattr(runner, "generate", generate_watched)
    monkeypatch.setattr(runner, "heal_phase", heal_phase_watched)
    result = runner.run("calm", 3, overrides={"workload": {"signal_count": 60}})
    assert result.ok and result.signals == 60 == len(planned_refs)
    assert alive_at_heal == [0], f"{alive_at_heal} planned signals still held when the heal began"

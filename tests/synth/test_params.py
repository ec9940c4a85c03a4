from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from immigrationos.cli.main import app
from immigrationos.errors import GenerationError
from immigrationos.synth.params import describe_params, load_params


def test_every_rate_is_documented_with_its_basis() -> None:
    for name, _, basis in describe_params():
        leaf = name.split(".")[-1].replace("_", " ")
        assert len(basis) > 12, f"{name} has no basis"
        assert basis != leaf, f"{name} only restates its name"


def test_a_parameter_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("noise: {name_typo_other: 0.06}\nmix: {visitor: 0.05}\n")
    params = load_params(path, persons=1000)
    assert (params.noise.name_typo_other, params.mix.visitor, params.persons) == (0.06, 0.05, 1000)


@pytest.mark.parametrize(
    "text",
    ["noise: {typo_everything: 0.5}\n", "enforcement: {in_proceedings: 0.6, final_order: 0.5}\n", ": : :"],
)
def test_bad_parameter_files_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(GenerationError):
        load_params(path)


def test_params_command_prints_values_and_bases() -> None:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["params"])
    assert result.exit_code == 0
    assert "noise.jan1_placeholder_weak_registration" in result.output
    assert "0.14" in result.output

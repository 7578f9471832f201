"""``vmeste publics`` as an operator runs it: the commands on a migrated folder."""

from pathlib import Path

import pytest

from tests.test_cli import vmeste


@pytest.mark.usefixtures("migrated_folder")
def test_publics_commands_on_an_empty_registry(tmp_path: Path) -> None:
    snapshot = vmeste(tmp_path, "publics", "snapshot", "--region", "33000000")
    assert (snapshot.returncode, snapshot.stdout) == (2, ""), snapshot.stderr
    assert "territory 33000000 not found" in snapshot.stderr
    compliance = vmeste(tmp_path, "publics", "compliance", "--region", "33000000", "--csv")
    assert compliance.returncode == 2 and "Traceback" not in compliance.stderr
    assert vmeste(tmp_path, "publics", "snapshot").returncode == 0

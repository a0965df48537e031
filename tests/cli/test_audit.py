"""`custos audit`: checkpoints, verification, export, and tampering found."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import custos


def test_audit_checkpoint_verify_export_and_tampering(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    custos(capsys, "init")
    custos(capsys, "user", "add", "ivan", "--role", "investigator")
    code, out, _ = custos(capsys, "audit", "checkpoint")
    assert code == 0
    assert "signed checkpoint" in out
    code, out, _ = custos(capsys, "audit", "verify")
    assert code == 0
    assert "audit log verified: 3 entries" in out  # first admin, policy applied, ivan
    bundle = tmp_path / "bundle"
    code, out, _ = custos(capsys, "audit", "export", str(bundle))
    assert code == 0
    assert custos(capsys, "audit", "verify", "--bundle", str(bundle))[0] == 0
    (bundle / "log.vkey").write_text(
        (bundle / "log.vkey").read_text().replace("custos/", "impostor/", 1)
    )
    code, _, err = custos(capsys, "audit", "verify", "--bundle", str(bundle))
    assert code == 1
    assert "the key id does not match the key" in err

    from custos.config import load_settings
    from custos.db import create_engine

    engine = create_engine(load_settings().database)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        connection.exec_driver_sql("UPDATE audit_entries SET actor = 'nobody' WHERE seq = 1")
    engine.dispose()
    code, _, err = custos(capsys, "audit", "verify")
    assert code == 1
    assert "entry 1 does not match its leaf hash" in err

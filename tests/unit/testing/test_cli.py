"""The simulator's command line binds loopback only, unless told otherwise."""

from __future__ import annotations

import pytest

from airflow_provider_salesloft.testing.__main__ import main


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::"])
def test_non_loopback_host_is_refused(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--host", host, "--port", "0"])
    assert info.value.code == 2
    assert "--allow-non-loopback" in capsys.readouterr().err

"""envmon.alarms.api: the use cases without the CLI."""

from __future__ import annotations

import pytest

from envmon.alarms import store as alarm_store
from envmon.alarms.api import (
    AlarmActionOptions,
    AlarmError,
    AlarmListOptions,
    AlarmRule,
    AlarmStatus,
    acknowledge_alarm,
    close_alarm,
    list_alarms,
)
from envmon.errors import OptionError
from envmon.store import open_store


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "a.duckdb") as store:
        alarm_store.open_alarm(store, mn="MN1", unit_id="U1", factor="a21026",
                               rule="exceedance", data_time=None, value=50.0, limit=35.0,
                               detail="折算浓度 50 > 限值 35")
        alarm_store.open_alarm(store, mn="MN2", unit_id="U2", factor="", rule="offline",
                               data_time=None, value=3600.0, limit=1800.0, detail="离线")
        yield store


def test_list_filter_and_lifecycle(store):
    every = list_alarms(store)
    assert [a["mn"] for a in every.as_json()] == ["MN1", "MN2"]
    table = every.as_table()
    assert [c.key for c in table.columns][:5] == ["id", "mn", "unit_id", "factor", "rule"]
    assert table.rows[0][4] == "超标" and table.rows[1][3] == "-" and table.rows[0][8] == 50.0
    assert [a["id"] for a in list_alarms(store, AlarmListOptions(rule="offline")).as_json()] == [2]
    changed = acknowledge_alarm(store, AlarmActionOptions(1, "王工", "已通知"))
    assert changed.as_json()["status"] == "acknowledged"
    assert close_alarm(store, AlarmActionOptions(1, "王工", "已整改")).as_json()["status"] \
        == "closed"
    with pytest.raises(AlarmError, match="already closed"):
        close_alarm(store, AlarmActionOptions(1, "王工", "再次关闭"))
    with pytest.raises(AlarmError, match="no alarm with id 9"):
        acknowledge_alarm(store, AlarmActionOptions(9, "王工"))
    still_open = list_alarms(store, AlarmListOptions(status=AlarmStatus.OPEN))
    assert [a["mn"] for a in still_open.as_json()] == ["MN2"]


def test_invalid_options_name_the_option():
    with pytest.raises(OptionError) as err:
        AlarmListOptions(status="gone")
    assert err.value.option == "--status" and "open, acknowledged, closed" in err.value.reason
    with pytest.raises(OptionError) as err:
        AlarmListOptions(rule="smoke")
    assert err.value.option == "--rule" and "exceedance" in err.value.reason
    assert AlarmListOptions(rule="zero").rule is AlarmRule.ZERO
    with pytest.raises(OptionError) as err:
        AlarmActionOptions(1, " ")
    assert err.value.option == "--by"


def test_the_alarm_error_is_the_store_module_s_and_a_user_error():
    from envmon.errors import EnvmonError

    assert AlarmError is alarm_store.AlarmError and issubclass(AlarmError, EnvmonError)


def test_closing_needs_a_note_and_acting_needs_a_name(store):
    """Issue 12: "acknowledge and close with a note"; the one rule the CLI, API and page share."""
    for note in (None, "", "  "):
        with pytest.raises(OptionError) as err:
            close_alarm(store, AlarmActionOptions(1, "王工", note))
        assert err.value.option == "--note" and "alarm 1" in err.value.reason
    with pytest.raises(OptionError) as err:
        AlarmActionOptions(1, None)
    assert err.value.option == "--by"

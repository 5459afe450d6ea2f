"""Session: bytes in, events out (HJ 212-2017 §6.1–6.5, Appendix C flows)."""

from __future__ import annotations

from datetime import datetime

from envmon.hj212.codec import build_packet, decode, format_cp
from envmon.hj212.events import (
    Discarded,
    PacketReceived,
    RequestAnswered,
    RequestCompleted,
    SplitCompleted,
    SplitIncomplete,
)
from envmon.hj212.session import Session, ack
from envmon.timeutil import BEIJING_FIXED
from tests.hj212.helpers import MN, upload

HOUR = datetime(2016, 8, 1, 8, tzinfo=BEIJING_FIXED)


def part(pno: int, pnum: int, factors: dict, *, qn: str | None = None, flag: int = 7,
         mn: str = MN, hour: datetime = HOUR) -> bytes:
    """One part of a split 2061 upload (HJ 212-2017 C.49/C.50: own QN, full DataTime)."""
    return build_packet(st="31", cn="2061", pw="123456", mn=mn, flag=flag,
                        qn=qn or f"2016080109000000{pno}", pnum=pnum, pno=pno,
                        cp=format_cp(hour, None, factors))


def only(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_packets_and_discards_in_order():
    s = Session()
    a = upload("DataTime=20160801080000;a21026-Avg=1")
    events = s.receive(b"xx" + a + a[:10])
    assert isinstance(events[0], Discarded) and events[0].data == b"xx"
    assert isinstance(events[1], PacketReceived) and events[1].packet.ok
    assert len(events) == 2 and s.pending == 10
    assert only(s.receive(a[10:]), PacketReceived)[0].packet.raw == a
    assert s.close() == []


def test_close_reports_buffered_bytes():
    s = Session()
    s.receive(b"##0101QN=")
    [d] = s.close()
    assert isinstance(d, Discarded) and d.data == b"##0101QN="


def test_reply_9014_only_for_accepted_uploads_asking_for_it():
    s = Session()
    [ev] = s.receive(upload("DataTime=20160801080000;a21026-Avg=1"))  # QN ...001, Flag=5
    answer = s.reply(ev.packet, HOUR)
    assert answer is not None
    p = decode(answer)
    assert p.ok and (p.qn, p.st, p.cn, p.flag, p.pw, p.mn) == (
        "20160801090000001", "91", "9014", 4, "123456", MN)
    assert p.segment.endswith("CP=&&&&")
    no_ack = decode(upload("DataTime=20160801080000;a21026-Avg=1",
                           head=f"QN=20160801090000001;ST=32;CN=2061;PW=123456;MN={MN};Flag=4"))
    assert ack(no_ack) is None
    bad_crc = decode(upload("DataTime=20160801080000;a21026-Avg=1", crc="0000"))
    assert bad_crc.need_ack and ack(bad_crc) is None  # no reply on a CRC error (Table 2)
    not_upload = decode(b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
                        b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80")
    assert not_upload.ok and ack(not_upload) is None


def test_crc_policy_per_mn():
    modbus_mn = "ABCDEFG1234567"
    seen = []

    def policy(mn):
        seen.append(mn)
        return ("hj212", "modbus") if mn == modbus_mn else ("hj212",)

    s = Session(crc_modes_for=policy)
    cp = "DataTime=20160801080000;a21026-Avg=1"
    ok_frame = upload(cp, head=f"ST=32;CN=2011;PW=123456;MN={modbus_mn}", mode="modbus")
    other = upload(cp, head=f"ST=32;CN=2011;PW=123456;MN={MN}", mode="modbus")
    [a] = s.receive(ok_frame)
    [b] = s.receive(other)
    assert a.packet.ok and a.packet.crc_mode == "modbus"
    assert not b.packet.ok and not b.packet.crc_ok
    assert seen == [modbus_mn, MN]


def test_split_upload_reassembled():
    s = Session()
    p1 = part(1, 2, {"a21026": {"Avg": 10.0, "Flag": "N"}, "a21002": {"Avg": 20.0}})
    p2 = part(2, 2, {"a34013": {"Avg": 3.0, "Flag": "N"}, "a21002": {"Flag": "N"}})
    first = s.receive(p2)  # order of arrival does not matter
    assert not only(first, SplitCompleted)
    events = s.receive(p1)
    [done] = only(events, SplitCompleted)
    assert (done.mn, done.cn, done.data_time) == (MN, "2061", HOUR)
    assert [p.pno for p in done.parts] == [1, 2]
    assert done.factors == {"a21026": {"Avg": 10.0, "Flag": "N"},
                            "a21002": {"Avg": 20.0, "Flag": "N"},
                            "a34013": {"Avg": 3.0, "Flag": "N"}}
    # Each part is an upload with Flag=7: each is answered with its own QN (C.49/C.50).
    assert decode(s.reply(done.parts[0], HOUR)).qn == "20160801090000001"
    assert decode(s.reply(done.parts[1], HOUR)).qn == "20160801090000002"
    assert s.close() == []


def test_split_duplicate_part_ignored():
    s = Session()
    p1 = part(1, 3, {"a": {"Avg": 1.0}})
    p2 = part(2, 3, {"b": {"Avg": 2.0}})
    p3 = part(3, 3, {"c": {"Avg": 3.0}})
    events = s.receive(p1) + s.receive(p1) + s.receive(p2) + s.receive(p2)
    assert len(only(events, PacketReceived)) == 4  # still reported (and answerable)
    assert not only(events, SplitCompleted)
    [done] = only(s.receive(p3), SplitCompleted)
    assert len(done.parts) == 3
    assert not only(s.receive(p3), SplitCompleted)  # a late repeat starts a new group
    [left] = s.close()
    assert isinstance(left, SplitIncomplete) and left.pnum == 3 and len(left.parts) == 1


def test_split_groups_keyed_by_mn_cn_datatime():
    s = Session()
    other_hour = datetime(2016, 8, 1, 9, tzinfo=BEIJING_FIXED)
    events = (s.receive(part(1, 2, {"a": {"Avg": 1.0}}))
              + s.receive(part(2, 2, {"b": {"Avg": 2.0}}, hour=other_hour))
              + s.receive(part(2, 2, {"b": {"Avg": 2.0}}, mn="010000A8900016F000169DC1")))
    assert not only(events, SplitCompleted)
    assert len(s.close()) == 3


def test_split_groups_bounded():
    s = Session(max_split_groups=2)
    hours = [datetime(2016, 8, 1, h, tzinfo=BEIJING_FIXED) for h in range(3)]
    events = []
    for h in hours:
        events += s.receive(part(1, 2, {"a": {"Avg": 1.0}}, hour=h))
    [evicted] = only(events, SplitIncomplete)
    assert evicted.data_time == hours[0]  # oldest first
    # The evicted group's second part starts a new, still incomplete group.
    assert not only(s.receive(part(2, 2, {"b": {"Avg": 1.0}}, hour=hours[0])), SplitCompleted)
    [done] = only(s.receive(part(2, 2, {"b": {"Avg": 1.0}}, hour=hours[2])), SplitCompleted)
    assert done.data_time == hours[2]


def test_split_2005_packet_without_flag():
    # libem/HJ212-Moniter: PNO before PNUM and no Flag; PNUM=1 completes at once.
    s = Session()
    raw = upload("DataTime=20191112090000;a01006-Avg=101.85",
                 head=f"QN=20191112091100598;ST=31;CN=2051;PW=123456;MN={MN};PNO=1;PNUM=1")
    [got, done] = s.receive(raw)
    assert isinstance(done, SplitCompleted) and done.factors == {"a01006": {"Avg": 101.85}}


def test_history_request_flow():
    # Appendix C.20–C.22: request (Flag=5) -> 9011 QnRtn=1 -> uploads (new QNs) -> 9012.
    s = Session()
    q0 = "20160801085857223"
    request = s.request_history("2061", HOUR, HOUR, "123456", MN, "32", q0)
    assert request.endswith(b"7EC0\r\n")  # reference §4 vector
    assert s.outstanding == (q0,)
    answer = build_packet(st="91", cn="9011", pw="123456", mn=MN, flag=4, qn=q0, cp="QnRtn=1")
    events = s.receive(answer)
    assert events[1:] == [RequestAnswered(q0, "1")]
    data = upload("DataTime=20160801080000;a21026-Avg=1")
    assert not only(s.receive(data), (RequestAnswered, RequestCompleted))
    done = build_packet(st="91", cn="9012", pw="123456", mn=MN, flag=4, qn=q0, cp="ExeRtn=1")
    assert s.receive(done)[1:] == [RequestCompleted(q0, "1")]
    assert s.outstanding == ()
    # A second 9012 for the same QN is no longer ours.
    assert s.receive(done)[1:] == []


def test_refused_request_is_finished():
    s = Session()
    q0 = "20160801085857223"
    s.request_history("2061", HOUR, HOUR, "123456", MN, "32", q0)
    refused = build_packet(st="91", cn="9011", pw="123456", mn=MN, flag=4, qn=q0, cp="QnRtn=2")
    assert s.receive(refused)[1:] == [RequestAnswered(q0, "2")]
    assert s.outstanding == ()


def test_answers_not_ours_or_bad_are_ignored():
    s = Session()
    q0 = "20160801085857223"
    s.request_history("2061", HOUR, HOUR, "123456", MN, "32", q0)
    stranger = build_packet(st="91", cn="9012", pw="123456", mn=MN, flag=4,
                            qn="20160801085857224", cp="ExeRtn=1")
    other_mn = build_packet(st="91", cn="9012", pw="123456", mn="010000A8900016F000169DC1",
                            flag=4, qn=q0, cp="ExeRtn=1")
    corrupted = build_packet(st="91", cn="9012", pw="123456", mn=MN, flag=4, qn=q0,
                             cp="ExeRtn=1")[:-6] + b"0000\r\n"
    for raw in (stranger, other_mn, corrupted):
        assert s.receive(raw)[1:] == []
    assert s.outstanding == (q0,)


def test_outstanding_requests_bounded():
    s = Session(max_requests=2)
    for i in range(3):
        s.request_history("2061", HOUR, HOUR, "123456", MN, "32", f"2016080108585722{i}")
    assert s.outstanding == ("20160801085857221", "20160801085857222")


def test_receive_frame_offline_mode():
    s = Session()
    raw = upload("DataTime=20160801080000;a21026-Avg=1", crlf=False)
    [ev] = s.receive_frame(raw)
    assert ev.packet.ok


# ---------------------------------------------------------------- replies the session builds

def test_reply_to_an_upload_is_its_9014():
    s = Session()
    [event] = s.receive(upload("DataTime=20160801080000;a21026-Avg=1"))
    answer = decode(s.reply(event.packet, HOUR))
    assert (answer.cn, answer.qn, answer.flag) == ("9014", "20160801090000001", 4)
    flag_4 = decode(upload("DataTime=20160801080000;a21026-Avg=1",
                           head=f"QN=20160801090000001;ST=32;CN=2061;PW=123456;MN={MN};Flag=4"))
    assert s.reply(flag_4, HOUR) is None  # no answer asked for


def test_time_calibration_reply_is_9013_then_1012_at_the_given_time():
    s = Session()
    request = build_packet(qn="20160801090000123", st="31", cn="1013", pw="123456", mn=MN,
                           flag=5)
    [event] = s.receive(request)
    now = datetime(2016, 8, 1, 9, 30, 15, 250_000, tzinfo=BEIJING_FIXED)
    frames = s.reply(event.packet, now)
    notice, set_time = [e.packet for e in Session().receive(frames)]
    assert (notice.cn, notice.qn, notice.st) == ("9013", "20160801090000123", "91")
    assert (set_time.cn, set_time.flag, set_time.qn) == ("1012", 5, "20160801093015250")
    assert set_time.items == {"SystemTime": "20160801093015"}
    # The 1012 is a request: the unit's 9011/9012 for it come back as events.
    assert s.outstanding == ("20160801093015250",)
    answered = s.receive(build_packet(qn="20160801093015250", st="91", cn="9011", pw="123456",
                                      mn=MN, flag=4, cp="QnRtn=1"))
    done = s.receive(build_packet(qn="20160801093015250", st="91", cn="9012", pw="123456",
                                  mn=MN, flag=4, cp="ExeRtn=1"))
    assert only(answered, RequestAnswered) == [RequestAnswered("20160801093015250", "1")]
    assert only(done, RequestCompleted) == [RequestCompleted("20160801093015250", "1")]
    assert s.outstanding == ()


def test_lacks_data_time_is_the_data_upload_rule():
    from envmon.hj212.session import lacks_data_time

    no_time = decode(upload("RtdInterval=30"))  # a 2061 without factors and without DataTime
    assert no_time.ok and lacks_data_time(no_time)
    assert not lacks_data_time(decode(upload("DataTime=20160801080000;a21026-Avg=1")))
    boot = decode(upload("RestartTime=20160801080000",
                         head=f"QN=20160801090000001;ST=32;CN=2081;PW=123456;MN={MN};Flag=5"))
    assert boot.ok and not lacks_data_time(boot)  # 2081 carries no DataTime
    notice = decode(build_packet(qn="20160801090000123", st="31", cn="1013", pw="123456",
                                 mn=MN, flag=5))
    assert not lacks_data_time(notice)  # not a data upload

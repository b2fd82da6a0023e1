"""Headless pjsua2 softphone for the calls and SIP suites (--transport udp|tcp|tls, --ca: the CA file a TLS
phone verifies Centralino's certificate with): registers one extension (digest) with Centralino and
either auto-answers (--answer) or calls a number (--call N) and hangs up after --talk seconds of
connected call. Null audio device, VAD off, so the media keeps sending RTP (silence frames).

Every line it prints is parseable (one event per line, flushed):
  REG code=<status> expiration=<s>          registration result (UNREG ... after the final un-register)
  CALL state=<pjsua state> code=<last status> role=<caller|callee>
  MEDIA status=<active|...>                 media state of the call
  STATS rx=<RTP packets received> tx=<RTP packets sent> secs=<since connected>   (every 0.5 s while
                                            connected; `STATS final ...` just before the caller hangs up)
  HANGUP                                    the caller sends its BYE now
  ERROR <text>                              something went wrong (the process exits non-zero)
  DONE rc=<exit code>

Bounded: the process gives up after --timeout seconds whatever happens.

usage: pj_call_phone.py <user> <password> <registrar host:port> --domain D --sip-port P --rtp-port R
       (--answer | --call NUMBER --talk SECONDS) [--timeout S] [--log-messages]
"""
import argparse
import sys
import time

import pjsua2 as pj

ap = argparse.ArgumentParser()
ap.add_argument("user")
ap.add_argument("password")
ap.add_argument("registrar", help="host:port of Centralino's SIP listener")
ap.add_argument("--domain", required=True, help="AoR domain (selects the tenant)")
ap.add_argument("--sip-port", type=int, required=True)
ap.add_argument("--rtp-port", type=int, required=True)
ap.add_argument("--answer", action="store_true", help="auto-answer incoming calls (180, then 200)")
ap.add_argument("--call", help="number to call once registered")
ap.add_argument("--talk", type=float, default=4.0, help="seconds connected before the caller hangs up")
ap.add_argument("--timeout", type=float, default=30.0)
ap.add_argument("--log-messages", action="store_true", help="print every SIP message sent/received")
ap.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
ap.add_argument("--ca", help="TLS: CA certificate file to verify the server with")
a = ap.parse_args()
if bool(a.answer) == bool(a.call):
    ap.error("exactly one of --answer / --call")

ROLE = "callee" if a.answer else "caller"


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


state = {"reg": None, "unreg": None, "call": None, "confirmed_at": None, "disconnected": False,
         "incoming": 0, "rejected": []}


class Call(pj.Call):
    def onCallState(self, prm):
        ci = self.getInfo()
        out("CALL state=%s code=%s role=%s" % (ci.stateText, ci.lastStatusCode, ROLE))
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED and state["confirmed_at"] is None:
            state["confirmed_at"] = time.monotonic()
        if ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            state["disconnected"] = True

    def onCallMediaState(self, prm):
        ci = self.getInfo()
        for mi in ci.media:
            if mi.type == pj.PJMEDIA_TYPE_AUDIO:
                names = {pj.PJSUA_CALL_MEDIA_ACTIVE: "active", pj.PJSUA_CALL_MEDIA_NONE: "none",
                         pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
                         pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
                         pj.PJSUA_CALL_MEDIA_ERROR: "error"}
                out("MEDIA status=%s" % names.get(mi.status, mi.status))


class Account(pj.Account):
    def onRegState(self, prm):
        if state["reg"] is None and prm.code >= 200:
            state["reg"] = prm.code
            out("REG code=%s expiration=%s" % (prm.code, prm.expiration))
        elif state["reg"] is not None and prm.code >= 200 and prm.expiration == 0:
            state["unreg"] = prm.code
            out("UNREG code=%s" % prm.code)

    def onIncomingCall(self, prm):
        c = Call(self, prm.callId)
        state["incoming"] += 1
        if not a.answer or state["call"] is not None:
            state["rejected"].append(c)
            op = pj.CallOpParam(); op.statusCode = 486; c.hangup(op)
            return
        state["call"] = c
        op = pj.CallOpParam(); op.statusCode = 180; c.answer(op)
        op = pj.CallOpParam(); op.statusCode = 200; c.answer(op)


class Writer(pj.LogWriter):
    def write(self, entry):
        for ln in entry.msg.rstrip("\n").split("\n"):
            out("LOG " + ln)


def stats():
    """(rx, tx) RTP packet counters of the audio stream, or None when there is no stream."""
    try:
        st = state["call"].getStreamStat(0)
        return st.rtcp.rxStat.pkt, st.rtcp.txStat.pkt
    except Exception:
        return None


ep = pj.Endpoint()
ep.libCreate()
cfg = pj.EpConfig()
cfg.uaConfig.threadCnt = 0
cfg.uaConfig.mainThreadOnly = True
cfg.medConfig.noVad = True               # keep sending RTP for silence
writer = None
if a.log_messages:
    writer = Writer()
    cfg.logConfig.writer = writer
    cfg.logConfig.level = 5
    cfg.logConfig.consoleLevel = 5
    cfg.logConfig.msgLogging = True
    cfg.logConfig.decor = 0
else:
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
ep.libInit(cfg)
tcfg = pj.TransportConfig()
tcfg.port = a.sip_port
tcfg.boundAddress = "127.0.0.1"
tcfg.publicAddress = "127.0.0.1"
if a.transport == "tls":
    if a.ca:
        tcfg.tlsConfig.CaListFile = a.ca
        tcfg.tlsConfig.verifyServer = True
    tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
kind = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}[a.transport]
ep.transportCreate(kind, tcfg)
ep.libStart()
ep.audDevManager().setNullDev()          # no sound card: the null device feeds silence

acfg = pj.AccountConfig()
acfg.idUri = "sip:%s@%s" % (a.user, a.domain)
TRANSPORT_PARAM = "" if a.transport == "udp" else ";transport=%s" % a.transport
acfg.regConfig.registrarUri = "sip:%s%s" % (a.registrar, TRANSPORT_PARAM)
acfg.regConfig.timeoutSec = 600
acfg.regConfig.retryIntervalSec = 0      # no re-registration loop after a failure
acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", a.user, 0, a.password))
acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
acfg.mediaConfig.transportConfig.port = a.rtp_port
acfg.mediaConfig.transportConfig.portRange = 100
acc = Account()
acc.create(acfg)

rc = 1
deadline = time.monotonic() + a.timeout
next_stats = 0.0
final_stats = None
hung_up = False
try:
    while time.monotonic() < deadline:
        ep.libHandleEvents(20)
        if state["reg"] is not None and state["reg"] != 200:
            out("ERROR registration failed with %s" % state["reg"])
            break
        if a.call and state["reg"] == 200 and state["call"] is None:
            state["call"] = Call(acc)
            uri = "sip:%s@%s%s" % (a.call, a.registrar, TRANSPORT_PARAM)
            out("DIAL %s" % uri)
            state["call"].makeCall(uri, pj.CallOpParam(True))
        now = time.monotonic()
        connected = state["confirmed_at"] is not None and not state["disconnected"]
        if connected and now >= next_stats:
            s = stats()
            if s is not None:
                out("STATS rx=%d tx=%d secs=%.1f" % (s[0], s[1], now - state["confirmed_at"]))
            next_stats = now + 0.5
        if a.call and connected and not hung_up and now - state["confirmed_at"] >= a.talk:
            s = stats()
            if s is not None:
                out("STATS final rx=%d tx=%d secs=%.1f" % (s[0], s[1], now - state["confirmed_at"]))
            out("HANGUP")
            state["call"].hangup(pj.CallOpParam())
            hung_up = True
        if state["disconnected"]:
            rc = 0
            break
    else:
        out("ERROR timeout after %.0fs (reg=%s, call %s)" % (
            a.timeout, state["reg"], "connected" if state["confirmed_at"] else "not connected"))
    # let the last BYE/200 exchange finish, then un-register our contact (leave no stale binding)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        ep.libHandleEvents(20)
    if state["reg"] == 200:
        try:
            acc.setRegistration(False)
            end = time.monotonic() + 3.0
            while time.monotonic() < end and state["unreg"] is None:
                ep.libHandleEvents(20)
        except Exception as e:  # reported, does not change the call result
            out("ERROR un-register: %r" % (e,))
except Exception as e:
    out("ERROR %r" % (e,))
    rc = 1
finally:
    try:
        ep.hangupAllCalls()
        for _ in range(10):
            ep.libHandleEvents(20)
    except Exception:
        pass
    state["rejected"].clear()
    state["call"] = None                 # pj.Call/Account objects must go before libDestroy
    del acc
    ep.libDestroy()
    out("DONE rc=%d" % rc)
sys.exit(rc)

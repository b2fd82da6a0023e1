"""Headless pjsua2 phone: registers (digest; PJ_ALGO=SHA256 for a SHA-256-only credential) and answers
every call with 200 OK. Copy of shared/peers/pj_phone_sha.py with options for the registrar suite:
--domain (AoR domain, i.e. the tenant; default: the registrar's host, as the original),
--transport udp|tcp, --exit-after-reg (stop after the first final REGISTER result),
--log-messages (print every SIP message pjsip sends/receives).

usage: pj_phone_sha.py <user> <password> <registrar host:port> <local port> <seconds> [options]"""
import argparse
import os
import sys
import time

import pjsua2 as pj

ap = argparse.ArgumentParser()
ap.add_argument("user")
ap.add_argument("password")
ap.add_argument("registrar")
ap.add_argument("lport", type=int)
ap.add_argument("seconds", type=float)
ap.add_argument("--domain")
ap.add_argument("--transport", default="udp", choices=["udp", "tcp"])
ap.add_argument("--exit-after-reg", action="store_true")
ap.add_argument("--log-messages", action="store_true")
a = ap.parse_args()
user, pw, registrar, lport, secs = a.user, a.password, a.registrar, a.lport, a.seconds
domain = a.domain or registrar.split(":")[0]
result = {"code": None}


class Call(pj.Call):
    def onCallState(self, prm):
        ci = self.getInfo()
        print(f"CALL state={ci.stateText} code={ci.lastStatusCode}", flush=True)


class Account(pj.Account):
    calls = []

    def onRegState(self, prm):
        print(f"REG code={prm.code} reason={prm.reason} expiration={prm.expiration}", flush=True)
        if result["code"] is None and prm.code >= 200:
            result["code"] = prm.code

    def onIncomingCall(self, prm):
        c = Call(self, prm.callId)
        Account.calls.append(c)
        op = pj.CallOpParam(); op.statusCode = 180; c.answer(op)
        op = pj.CallOpParam(); op.statusCode = 200; c.answer(op)


class Writer(pj.LogWriter):
    def write(self, entry):
        sys.stdout.write(entry.msg if entry.msg.endswith("\n") else entry.msg + "\n")
        sys.stdout.flush()


ep = pj.Endpoint(); ep.libCreate()
cfg = pj.EpConfig(); cfg.uaConfig.threadCnt = 0; cfg.uaConfig.mainThreadOnly = True
cfg.medConfig.noVad = True
if a.log_messages:
    writer = Writer()
    cfg.logConfig.writer = writer
    cfg.logConfig.level = 5
    cfg.logConfig.consoleLevel = 5
    cfg.logConfig.msgLogging = True
    cfg.logConfig.decor = 0
else:
    cfg.logConfig.level = 1
ep.libInit(cfg)
tcfg = pj.TransportConfig(); tcfg.port = lport; tcfg.boundAddress = "127.0.0.1"; tcfg.publicAddress = "127.0.0.1"
ep.transportCreate(pj.PJSIP_TRANSPORT_TCP if a.transport == "tcp" else pj.PJSIP_TRANSPORT_UDP, tcfg)
ep.libStart()
ep.audDevManager().setNullDev()          # no sound card needed
acfg = pj.AccountConfig()
acfg.idUri = f"sip:{user}@{domain}"
acfg.regConfig.registrarUri = f"sip:{registrar}" + (";transport=tcp" if a.transport == "tcp" else "")
acfg.regConfig.timeoutSec = 600
cred = pj.AuthCredInfo("digest", "*", user, 0, pw)
if os.environ.get("PJ_ALGO") == "SHA256":
    cred.algoType = pj.PJSIP_AUTH_ALGORITHM_SHA256
acfg.sipConfig.authCreds.append(cred)
acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
acc = Account(); acc.create(acfg)
end = time.time() + secs
while time.time() < end:
    ep.libHandleEvents(20)
    if a.exit_after_reg and result["code"] is not None:
        break
Account.calls.clear()
ep.hangupAllCalls()
del acc
ep.libDestroy()
print("DONE", flush=True)
sys.exit(0 if result["code"] == 200 else 1)

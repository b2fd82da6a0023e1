#!/usr/bin/env python3
"""Click-to-call through Centralino with SIP peers on both sides (issue 11's call figures).

AMI Originates (Channel: Local/100@c2c, Exten: 0...) are sent at a fixed rate on one AMI connection;
SIPp plays the user's phone (registered extension 100, answers at once) and the trunk (answers at once,
hangs up after --hold ms). Steps through --rates; per step it prints:
  - Originates answered / failed / without OriginateResponse (the load generator is this script + SIPp);
  - server CPU ms per call: utime+stime of the server (/proc/PID/stat) from the step's first Originate
    until its calls are over and settled, divided by the answered calls (the figure noise hardly moves;
    the server's idle CPU over the same time is printed beside it);
  - peak RSS growth over the step's starting RSS, the peak of concurrent calls (/metrics
    centralino_active_calls, sampled every second; RSS every 0.2 s) and their ratio, KB per concurrent call;
  - channels left after the step (CoreShowChannels on a second AMI session, polled for up to 30 s: must be 0);
  - the server's context switches per call (/proc/PID/task/*/status), a count the host's other guests move far
    less than CPU time; with --window FROM, the same and the system calls per call (`perf stat` on the
    syscalls tracepoints, when perf can read them) from FROM seconds into the step until its last Originate:
    the steady state, in which the 32 s timers of earlier calls fire too.
With --rtp the phone streams PCMU RTP (50 packets/s, SIPp's rtp_stream, from a file this script writes) from
its answer for the hold plus 500 ms, and the trunk echoes it (SIPp -rtp_echo): RTP flows both ways through
the relay. rtp_stream sends from one UDP socket per SIPp (its -mp port) with a few threads for all calls.
(Until 2026-12-07 the phone played a pcap instead: SIPp plays a pcap through a raw IPPROTO_UDP socket per
call, and the kernel hands every UDP datagram of the machine to every raw socket, so with N calls up each
relayed packet cost N clones, charged in part to the server's sendmsg: 17% of the server's samples at
435 calls, see docs/performance.md.)

With --tenants K the node has K tenants (each its extension 100 registered by the same SIPp phone, its
own AMI user and session); Originates go round-robin over them, so a sharded engine (--engine-loops N,
passed to serve) spreads them over its loops.

Prints figures; asserts nothing. Examples (the issue's figures):
  scripts/bench-c2c.py --rates 100 --calls 1000                        # CPU per call, no RTP
  scripts/bench-c2c.py --rates 100 --calls 6000 --window 35            # the same in the steady state, with system calls
  scripts/bench-c2c.py --rates 400 --calls 24000 --hold 1000 --rtp     # 60 s at 400/s with RTP
  scripts/bench-c2c.py --rates 100 --calls 1500 --hold 10000 --rtp     # ~1000 relayed calls up: memory
  scripts/bench-c2c.py --rates 200,400 --calls 4000 --tenants 2 --engine-loops 1   # vs --engine-loops 2
(with --engine-loops 1 the shard's media legs still relay on a second loop when the machine has two cores)
With --listener an extra AMI session of the first tenant (its user reads system,call,reporting) only reads
events, as a CRM connector does; per step it prints the events and bytes that session received. Each
--listener-filter PATTERN adds a `Filter` (Operation: Add) to it first, e.g. the figures of
docs/performance.md (AMI event filters):
  scripts/bench-c2c.py --rates 100 --calls 1000 --listener
  scripts/bench-c2c.py --rates 100 --calls 1000 --listener --listener-filter 'Event: Hangup' --listener-filter 'Event: Newchannel'
--session-filter PATTERN adds a Filter to the Originating sessions instead, e.g. 'Event: OriginateResponse' (all the
script needs) to see what their event stream costs the server.
BENCH_NICE (default 5) is the niceness of the server and SIPp; CENTRALINO_BIN picks the binary; BENCH_SHOW_LEFT=1
prints the first channels left after a step; BENCH_KEEP=1 keeps the work directory (server output in
serve.out), which is kept anyway, and the tail of serve.out printed, when the server exits on its own or the
run stops on an error (an AMI session the server closed: BENCH_LOG=warning shows why);
BENCH_SIPP_TRACE=DIR writes the SIP messages and errors of both SIPp peers under DIR.
"""
import argparse, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "tests", "fixtures")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def wait_for(path, text, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {text!r} in {path}")


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def context_switches(pid):
    """Voluntary and involuntary context switches of all the process's threads: the voluntary ones are
    mostly a loop going to sleep (a wake-up follows each), a count that other guests on the host move
    far less than CPU time. Threads that end during a step take their counts with them (the server's
    event loops and writer threads live as long as it does)."""
    voluntary = involuntary = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0, 0  # the server is gone; the step reports that itself
    for task in tasks:
        try:
            for line in open(f"/proc/{pid}/task/{task}/status"):
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return voluntary, involuntary


def switches_per_call(before, after, calls):
    """The context switches between two `context_switches` readings, per call, as printed."""
    voluntary, involuntary = (later - earlier for later, earlier in zip(after, before))
    return f"{(voluntary + involuntary) / calls:.1f} context switches ({voluntary / calls:.1f} voluntary)"


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def write_ulaw(path, milliseconds):
    """Raw PCMU audio (silence, 8 bytes per ms) for SIPp's rtp_stream: 160 bytes per 20 ms packet."""
    with open(path, "wb") as f:
        f.write(b"\xff" * (8 * milliseconds))


def machine_idle_ticks():
    """Idle and iowait time of all cores together since boot, in clock ticks (/proc/stat)."""
    fields = open("/proc/stat").readline().split()
    return int(fields[4]) + int(fields[5])


def udp_receive_errors():
    """The kernel's count of UDP datagrams dropped because a socket's receive buffer was full."""
    lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


def udp_drops(ports):
    """Datagrams dropped so far per local UDP port of `ports` (/proc/net/udp, last column)."""
    drops = {}
    for line in open("/proc/net/udp").readlines()[1:]:
        fields = line.split()
        port = int(fields[1].split(":")[1], 16)
        if port in ports:
            drops[port] = drops.get(port, 0) + int(fields[-1])
    return drops


def absorbing_invite_retransmissions(scenario, work):
    """A copy of a SIPp UAS scenario (in `work`) that takes a retransmitted INVITE while it waits for
    the ACK of its 200: a loaded server handles the 200 late and Timer A resends its INVITE (RFC 3261
    17.1.1.2), which SIPp otherwise takes for an unexpected message and aborts the call on, without a BYE."""
    text = open(scenario).read()
    text = re.sub(r'(\s*)<recv request="ACK"', r'\1<recv request="INVITE" optional="true"/>\1<recv request="ACK"', text, count=1)
    copy = os.path.join(work, "absorbing-" + os.path.basename(scenario))
    with open(copy, "w") as f:
        f.write(text)
    return copy


def tenant_uuid(index, count):
    """A random tenant UUID whose first 8 bytes (big-endian) are `index` modulo `count`: with as many
    engine loops as tenants, each tenant gets its own shard (Calls/CallShardMap.swift)."""
    while True:
        candidate = uuid.uuid4()
        if int.from_bytes(candidate.bytes[:8], "big") % count == index:
            return candidate


def ami_session(port, events, user="bench"):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"Action: Login\r\nUsername: {user}\r\nSecret: bench\r\nEvents: {events}\r\n\r\n".encode())
    return s


def channels_left(port, users, show=False):
    """Channels CoreShowChannels lists right now, summed over the tenants' AMI users (`show`: print the first few)."""
    return sum(tenant_channels_left(port, user, show) for user in users)


def tenant_channels_left(port, user, show):
    """Channels CoreShowChannels lists right now to `user` (its tenant's)."""
    s = ami_session(port, "off", user)
    s.sendall(b"Action: CoreShowChannels\r\nActionID: left\r\n\r\n")
    buffer = b""
    s.settimeout(30)
    while b"Event: CoreShowChannelsComplete" not in buffer or not buffer.endswith(b"\r\n\r\n"):
        try:
            chunk = s.recv(1 << 20)
        except TimeoutError:
            print("CoreShowChannels timed out:", buffer[-500:])
            break
        if not chunk:
            break
        buffer += chunk
    s.close()
    if show:
        for item in re.findall(rb"Event: CoreShowChannel\r\n.*?\r\n\r\n", buffer, re.S)[:5]:
            print("  left:", b" | ".join(l for l in item.split(b"\r\n") if l.split(b":")[0] in
                                          (b"Channel", b"ChannelStateDesc", b"Application", b"Duration", b"BridgeId")).decode())
    match = re.search(rb"Event: CoreShowChannelsComplete\r\n(?:[^\r]*\r\n)*?ListItems: (\d+)", buffer)
    return int(match.group(1)) if match else -1


def metric(http, name):
    """The first sample of `name` at /metrics, or None."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    match = re.search(rf"^{name}(?:\{{[^}}]*\}})? (\d+)", text, re.M)
    return int(match.group(1)) if match else None


def active_calls(http):
    return metric(http, "centralino_active_calls")


class Window:
    """The server's CPU, context switches and (when `perf` can trace the process) system calls over part
    of a step, per Originate sent in it. The tracepoints cost the server a little CPU while they count."""
    SYSCALLS = ["epoll_wait", "epoll_ctl", "timerfd_settime", "futex", "write", "writev", "read", "getrandom", "sendto",
                "sendmsg", "sendmmsg", "recvmsg", "recvmmsg"]

    def __init__(self, pid, sent):
        self.pid, self.sent, self.started = pid, sent, time.time()
        self.ticks, self.switches = cpu_ticks(pid), context_switches(pid)
        self.counts = tempfile.NamedTemporaryFile(mode="r", suffix=".perf")
        self.perf = None
        if shutil.which("perf"):
            events = ",".join(f"syscalls:sys_enter_{name}" for name in self.SYSCALLS)
            self.perf = subprocess.Popen(["perf", "stat", "-x,", "-e", events, "-p", str(pid), "-o", self.counts.name],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def end(self, sent):
        calls = max(sent - self.sent, 1)
        cpu = (cpu_ticks(self.pid) - self.ticks) / TICKS
        text = (f"{calls} Originates in {time.time() - self.started:.1f} s: server CPU {cpu * 1000 / calls:.2f} ms, "
                f"{switches_per_call(self.switches, context_switches(self.pid), calls)}")
        if self.perf:
            self.perf.send_signal(signal.SIGINT)
            try:
                self.perf.wait(10)
            except subprocess.TimeoutExpired:
                self.perf.kill()
                self.perf.wait()
            counted = {}
            for line in open(self.counts.name):
                fields = line.strip().split(",")
                if len(fields) > 2 and fields[0].isdigit():
                    counted[fields[2].split("sys_enter_")[-1]] = int(fields[0])
            text += ("; system calls " + ", ".join(f"{name} {counted[name] / calls:.1f}" for name in self.SYSCALLS if name in counted)
                     if counted else "; perf counted no system calls (tracepoints not readable?)")
        self.counts.close()
        return text + " per call"


class Sampler(threading.Thread):
    """Peak RSS and peak concurrent calls of the server while a step runs."""

    def __init__(self, pid, http):
        super().__init__(daemon=True)
        self.pid, self.http, self.stop = pid, http, threading.Event()
        self.peak_rss, self.peak_calls = rss_kb(pid), 0

    def run(self):
        tick = 0
        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, rss_kb(self.pid))
            calls = active_calls(self.http) if tick % 5 == 0 else None
            if calls is not None:
                self.peak_calls = max(self.peak_calls, calls)
            tick += 1
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--calls", type=int, default=200, help="Originates per step")
    parser.add_argument("--hold", type=int, default=200, help="ms the trunk keeps each call up")
    parser.add_argument("--rtp", action="store_true", help="RTP both ways: the phone plays PCMU, the trunk echoes it")
    parser.add_argument("--tenants", type=int, default=1, help="tenants the Originates are spread over (round-robin)")
    parser.add_argument("--engine-loops", type=int, help="passed to serve (default: serve's, the core count)")
    parser.add_argument("--max-channels", type=int, help="passed to serve: the node's channel cap (default: serve's, 4000)")
    parser.add_argument("--listener", action="store_true", help="an extra AMI session that only reads events")
    parser.add_argument("--listener-filter", action="append", default=[], help="a Filter the listener adds (repeatable)")
    parser.add_argument("--session-filter", action="append", default=[],
                        help="a Filter the Originating sessions add (repeatable); 'Event: OriginateResponse' leaves them "
                             "only what the script needs, to measure what their event stream costs the server")
    parser.add_argument("--window", type=float,
                        help="also measure from this many seconds into each step until its last Originate is sent: the "
                             "steady state, once the long timers (32 s transaction timers) of the step's first calls "
                             "fire, which a short step ends before (e.g. --calls 6000 --window 35 at 100/s)")
    parser.add_argument("--bin", default=os.environ.get("CENTRALINO_BIN", os.path.join(ROOT, ".build/release/centralino")))
    args = parser.parse_args()
    nice = ["nice", "-n", os.environ.get("BENCH_NICE", "5")]
    if not os.path.exists(args.bin):
        subprocess.run(["swift", "build", "-c", "release", "--product", "centralino"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp()
    procs = []
    try:
        ami, sip, http, phone, trunk = free_port(), free_port(), free_port(), free_port(), free_port()
        phone_media, trunk_media = free_port(), free_port()
        users = ["bench"] + [f"bench{i}" for i in range(1, args.tenants)]
        domains = ["127.0.0.1"] + [f"t{i}.bench" for i in range(1, args.tenants)]
        with open(f"{work}/bench.yaml", "w") as f:
            f.write("tenants:\n")
            for i in range(args.tenants):
                # The first tenant is the default one (requests to the node's IP address reach it).
                f.write(f"""  - name: {"default" if i == 0 else f"t{i}"}
    uuid: {tenant_uuid(i, args.tenants)}
""" + (f"    domain: {domains[i]}\n" if i else "") + f"""    extensions:
      - {{ number: "100", password: "pw100" }}
    trunks:
      - {{ name: carrier, host: 127.0.0.1, port: {trunk} }}
    outbound_routes:
      - {{ prefix: "0", trunk: carrier, strip: 1 }}
    ami_users:
      - {{ username: {users[i]}, password: bench, permit: ["127.0.0.1/32"], read: "system,call,reporting", write: "system,call,reporting,originate" }}
""")
        subprocess.run([args.bin, "apply", "--data-dir", f"{work}/data", f"{work}/bench.yaml"], check=True, stdout=subprocess.DEVNULL)
        log = open(f"{work}/serve.out", "w")
        server = subprocess.Popen(nice + [args.bin, "serve", "--data-dir", f"{work}/data", "--ami-bind", f"127.0.0.1:{ami}",
                                          "--sip-bind", f"127.0.0.1:{sip}", "--http-bind", f"127.0.0.1:{http}",
                                          "--rtp-ports", "50000-59999", "--tenant-max-channels", "100000",
                                          "--tenant-max-rtp-port-pairs", "5000", "--log-level", os.environ.get("BENCH_LOG", "error")]
                                  + (["--engine-loops", str(args.engine_loops)] if args.engine_loops else [])
                                  + (["--max-channels", str(args.max_channels)] if args.max_channels else []),
                                  stdout=log, stderr=subprocess.STDOUT)
        procs.append(server)
        wait_for(f"{work}/serve.out", "AMI listening")
        register = open(f"{SHARED}/sipp/uac_register_auth.xml").read()
        for domain in domains:
            # Extension 100 of each tenant, registered from the one SIPp phone (the tenant is the domain).
            with open(f"{work}/register-{domain}.xml", "w") as f:
                f.write(register.replace("[service]@[remote_ip]>", f"[service]@{domain}>"))
            subprocess.run(["sipp", "-sf", f"{work}/register-{domain}.xml", "-s", "100", "-au", "100", "-ap", "pw100",
                            f"127.0.0.1:{sip}", "-m", "1", "-p", str(phone), "-nostdin"], cwd=work, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
        if args.rtp:
            # The hold plus 500 ms of setup: SIPp streams until the file ends or the call is deleted
            # (after the scenario's 2 s timewait), so a longer file sends to closed ports after the BYE.
            write_ulaw(f"{work}/rtp.ulaw", args.hold + 500)
            phone_side = [absorbing_invite_retransmissions(f"{ROOT}/Benchmarks/sipp/uas_answer_rtp.xml", work), phone,
                          ["-mp", str(phone_media)]]
        else:
            phone_side = [absorbing_invite_retransmissions(f"{SHARED}/sipp/uas_answer.xml", work), phone,
                          ["-d", "0", "-mp", str(phone_media)]]
        trunk_side = [absorbing_invite_retransmissions(f"{ROOT}/Benchmarks/sipp/uas_answer_bye.xml", work), trunk,
                      ["-d", str(args.hold), "-mp", str(trunk_media)] + (["-rtp_echo"] if args.rtp else [])]
        trace = os.environ.get("BENCH_SIPP_TRACE")
        for name, (scenario, port, extra) in (("phone", phone_side), ("trunk", trunk_side)):
            if trace:  # every SIP message SIPp sends and receives, and its errors, in TRACE/NAME_*.log
                os.makedirs(trace, exist_ok=True)
                extra = extra + ["-trace_msg", "-message_file", f"{trace}/{name}_messages.log",
                                 "-trace_err", "-error_file", f"{trace}/{name}_errors.log"]
            procs.append(subprocess.Popen(nice + ["sipp", "-sf", scenario, "-p", str(port), "-i", "127.0.0.1", "-mi", "127.0.0.1",
                                                  "-nostdin", "-max_socket", "60000"] + extra,
                                          cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        sessions = [ami_session(ami, "call", user) for user in users]
        for session in sessions:
            for index, pattern in enumerate(args.session_filter):
                session.sendall(f"Action: Filter\r\nOperation: Add\r\nFilter: {pattern}\r\nActionID: sfilter{index}\r\n\r\n".encode())
        outcomes = {}
        failure_reasons = {}  # OriginateResponse Reason (Asterisk's cause of the outgoing leg) -> count
        lock = threading.Lock()

        def chunks(s):
            """What the session receives, read as it comes (Centralino disconnects a session that stops
            reading), until it closes."""
            while True:
                try:
                    chunk = s.recv(1 << 20)
                except OSError:
                    return
                if not chunk:
                    return
                yield chunk

        def read_events(s):
            buffer = b""
            for chunk in chunks(s):
                buffer += chunk
                *messages, buffer = buffer.split(b"\r\n\r\n")
                for message in messages:
                    if b"Event: OriginateResponse" not in message:
                        continue
                    lines = message.split(b"\r\n")
                    action = next((l[10:] for l in lines if l.startswith(b"ActionID: ")), b"")
                    success = b"Response: Success" in message
                    reason = next((l[8:].decode() for l in lines if l.startswith(b"Reason: ")), "?")
                    with lock:
                        outcomes[action.decode()] = success
                        if not success:
                            failure_reasons[reason] = failure_reasons.get(reason, 0) + 1

        for session in sessions:
            threading.Thread(target=read_events, args=(session,), daemon=True).start()
        received = {"bytes": 0, "events": 0}
        if args.listener:
            listener = ami_session(ami, "on")
            for index, pattern in enumerate(args.listener_filter):
                listener.sendall(f"Action: Filter\r\nOperation: Add\r\nFilter: {pattern}\r\nActionID: filter{index}\r\n\r\n".encode())

            def count_events(s):
                tail = b""
                for chunk in chunks(s):
                    with lock:
                        received["bytes"] += len(chunk)
                        received["events"] += (tail + chunk).count(b"\r\n\r\nEvent: ")
                    tail = (tail + chunk)[-10:]

            threading.Thread(target=count_events, args=(listener,), daemon=True).start()
        idle_start = cpu_ticks(server.pid)
        time.sleep(3)
        idle_per_second = (cpu_ticks(server.pid) - idle_start) / TICKS / 3
        load = open("/proc/loadavg").read().split()[:3]
        print(f"== {time.strftime('%F %T', time.gmtime())} UTC, load average {' '.join(load)}, {os.cpu_count()} cores; "
              f"server idle CPU {idle_per_second * 1000:.1f} ms/s")
        print(f"== click-to-call Originates, {args.calls} per step over {args.tenants} tenant(s), engine loops "
              f"{args.engine_loops or 'default'}, node channel cap {args.max_channels or 'default'}, trunk holds {args.hold} ms, "
              f"{'RTP both ways (phone plays PCMU, trunk echoes)' if args.rtp else 'no RTP'}; load generator: this script + SIPp")
        for rate in [int(r) for r in args.rates.split(",")]:
            sampler = Sampler(server.pid, http)
            rss_before = sampler.peak_rss
            sampler.start()
            relayed_before = metric(http, "centralino_rtp_packets_relayed_total") or 0
            sip_ports = {sip: "server SIP", phone: "phone SIP", trunk: "trunk SIP"}
            drops_before, rcvbuf_before = udp_drops(sip_ports), udp_receive_errors()
            with lock:
                received_before = dict(received)
            ticks_before = cpu_ticks(server.pid)
            switches_before = context_switches(server.pid)
            generator_before = [cpu_ticks(p.pid) for p in procs[1:]], os.times(), machine_idle_ticks()
            with lock:
                failure_reasons.clear()
            start = time.time()
            window = None
            for n in range(args.calls):
                delay = start + n / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                if args.window is not None and window is None and time.time() - start >= args.window:
                    window = Window(server.pid, n)
                sessions[n % len(sessions)].sendall((f"Action: Originate\r\nAsync: true\r\nChannel: Local/100@c2c\r\nContext: from_c2c\r\n"
                           f"Exten: 0391234567\r\nPriority: 1\r\nTimeout: 10000\r\nCallerId: \"c2c\" <0391234567>\r\n"
                           f"ActionID: r{rate}-{n}\r\n\r\n").encode())
            sent_seconds = time.time() - start
            window_figures = window.end(args.calls) if window else None
            ids = [f"r{rate}-{n}" for n in range(args.calls)]
            deadline = time.time() + 15
            while time.time() < deadline:
                with lock:
                    if all(i in outcomes for i in ids):
                        break
                time.sleep(0.1)
            time.sleep(args.hold / 1000 + 1.5)
            elapsed = time.time() - start
            cpu_seconds = (cpu_ticks(server.pid) - ticks_before) / TICKS
            switches_after = context_switches(server.pid)
            (phone_before, trunk_before), times_before, idle_before = generator_before
            phone_cpu, trunk_cpu = ((cpu_ticks(p.pid) - b) / TICKS for p, b in zip(procs[1:], (phone_before, trunk_before)))
            times = os.times()
            script_cpu = times.user + times.system - times_before.user - times_before.system
            idle_cores = (machine_idle_ticks() - idle_before) / TICKS / (time.time() - start)
            sampler.stop.set()
            sampler.join()
            relayed = (metric(http, "centralino_rtp_packets_relayed_total") or 0) - relayed_before
            with lock:
                answered = sum(1 for i in ids if outcomes.get(i) is True)
                failed = sum(1 for i in ids if outcomes.get(i) is False)
            missing = args.calls - answered - failed
            # Calls answered late end late: give the channels up to 30 s to go before calling them leaked.
            left_deadline = time.time() + 30
            while (left := channels_left(ami, users)) != 0 and time.time() < left_deadline:
                time.sleep(1)
            if left and os.environ.get("BENCH_SHOW_LEFT"):
                channels_left(ami, users, show=True)
            drops = udp_drops(sip_ports)
            dropped = ", ".join(f"{name} {drops.get(port, 0) - drops_before.get(port, 0)}" for port, name in sip_ports.items())
            growth = sampler.peak_rss - rss_before
            per_call = f"{growth / sampler.peak_calls:.1f} KB" if sampler.peak_calls else "n/a"
            print(f"rate {rate}/s (sent in {sent_seconds:.2f} s): {answered} answered, {failed} failed, {missing} without response; "
                  f"{left} channels left; {relayed} RTP packets relayed ({relayed / elapsed:.0f}/s)")
            print(f"  server CPU {cpu_seconds:.2f} s in {elapsed:.1f} s = {cpu_seconds * 1000 / max(answered, 1):.2f} ms per answered call "
                  f"({cpu_seconds * 1000 / max(answered, 1) - idle_per_second * elapsed * 1000 / max(answered, 1):.2f} ms without idle CPU)")
            print(f"  server: {switches_per_call(switches_before, switches_after, max(answered, 1))} per answered call")
            if window_figures:
                print(f"  steady window: {window_figures}")
            elif args.window is not None:
                print(f"  steady window: not reached (the step sent its Originates in {sent_seconds:.1f} s)")
            print(f"  load generator CPU: phone SIPp {phone_cpu:.2f} s, trunk SIPp {trunk_cpu:.2f} s, this script {script_cpu:.2f} s; "
                  f"machine idle {idle_cores:.2f} of {os.cpu_count()} cores")
            if failed:
                with lock:
                    reasons = ", ".join(f"{reason} x{count}" for reason, count in sorted(failure_reasons.items()))
                print(f"  failed Originates by Reason: {reasons}")
            if args.listener:
                with lock:
                    got = {key: received[key] - received_before[key] for key in received}
                print(f"  listener session ({', '.join(args.listener_filter) or 'no filter'}): {got['events']} events, {got['bytes']} bytes "
                      f"= {got['events'] / max(answered, 1):.1f} events, {got['bytes'] / max(answered, 1):.0f} bytes per answered call")
            print(f"  UDP datagrams dropped on full receive buffers: {udp_receive_errors() - rcvbuf_before} on the machine; "
                  f"SIP sockets: {dropped}")
            print(f"  RSS {rss_before} KB -> peak {sampler.peak_rss} KB (+{growth} KB); peak concurrent calls {sampler.peak_calls}; "
                  f"{per_call} per concurrent call")
            time.sleep(1)
        for session in sessions:
            session.close()
    finally:
        # A server that exited before we stop it (a trap, a crash) keeps the work directory and shows the
        # tail of its output ("Fatal error: ..." goes to its stderr, in serve.out); BENCH_KEEP=1 keeps it always.
        died = procs and procs[0].poll() is not None
        # An AMI session the server closed (e.g. "event write stalled past the write timeout" when this
        # script's reader falls behind on a loaded machine: a warning, shown with BENCH_LOG=warning)
        # ends the run with an exception: the work directory and the log's tail are kept then too.
        broken = sys.exc_info()[0] is not None
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        if died or broken:
            what = f"the server exited on its own (status {procs[0].returncode})" if died else "the run stopped on an error"
            print(f"!! {what}; last lines of {work}/serve.out:", flush=True)
            try:
                with open(f"{work}/serve.out", errors="replace") as f:
                    print("".join(f.readlines()[-40:]), end="", flush=True)
            except OSError as error:
                print(f"  (unreadable: {error})")
        if died or broken or os.environ.get("BENCH_KEEP"):
            print(f"work directory kept: {work} (server output: {work}/serve.out)", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

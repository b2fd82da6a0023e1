#!/usr/bin/env python3
"""Click-to-call throughput: async Originates/s through Centralino with SIPp as the user's phone
(answers at once) and as the trunk (answers at once, hangs up after --hold ms).

Steps the Originate rate up (RFC 7501 style) and prints, per step, how many Originates succeeded,
failed or got no OriginateResponse; the figure that matters is the highest rate with zero failures.
Prints figures; asserts nothing.  Usage: scripts/bench-c2c.py [--rates 25,50,100] [--calls 200]
"""
import argparse, os, shutil, socket, subprocess, sys, tempfile, threading, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "tests", "fixtures")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def wait_for(path, text, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {text!r} in {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--calls", type=int, default=200, help="Originates per step")
    parser.add_argument("--hold", type=int, default=200, help="ms the trunk keeps each call up")
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release/centralino"))
    args = parser.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["swift", "build", "-c", "release", "--product", "centralino"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp()
    procs = []
    try:
        ami, sip, phone, trunk = free_port(), free_port(), free_port(), free_port()
        tenant = str(uuid.uuid4())
        with open(f"{work}/bench.yaml", "w") as f:
            f.write(f"""tenants:
  - name: default
    uuid: {tenant}
    extensions:
      - {{ number: "100", password: "pw100" }}
    trunks:
      - {{ name: carrier, host: 127.0.0.1, port: {trunk} }}
    outbound_routes:
      - {{ prefix: "0", trunk: carrier, strip: 1 }}
    ami_users:
      - {{ username: bench, password: bench, permit: ["127.0.0.1/32"] }}
""")
        subprocess.run([args.bin, "apply", "--data-dir", f"{work}/data", f"{work}/bench.yaml"], check=True, stdout=subprocess.DEVNULL)
        log = open(f"{work}/serve.out", "w")
        procs.append(subprocess.Popen([args.bin, "serve", "--data-dir", f"{work}/data", "--ami-bind", f"127.0.0.1:{ami}",
                                       "--sip-bind", f"127.0.0.1:{sip}", "--rtp-ports", "30000-39999", "--log-level", os.environ.get("BENCH_LOG", "error")],
                                      stdout=log, stderr=subprocess.STDOUT))
        wait_for(f"{work}/serve.out", "AMI listening")
        subprocess.run(["sipp", "-sf", f"{SHARED}/sipp/uac_register_auth.xml", "-s", "100", "-au", "100", "-ap", "pw100",
                        f"127.0.0.1:{sip}", "-m", "1", "-p", str(phone), "-nostdin"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
        for scenario, port, extra in ((f"{SHARED}/sipp/uas_answer.xml", phone, ["-d", "0"]),
                                      (f"{ROOT}/Benchmarks/sipp/uas_answer_bye.xml", trunk, ["-d", str(args.hold)])):
            procs.append(subprocess.Popen(["sipp", "-sf", scenario, "-p", str(port), "-i", "127.0.0.1", "-nostdin"] + extra,
                                          cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        s = socket.create_connection(("127.0.0.1", ami))
        s.sendall(b"Action: Login\r\nUsername: bench\r\nSecret: bench\r\nEvents: call\r\n\r\n")
        outcomes = {}
        lock = threading.Lock()

        def read_events():
            # Events must be read as they come: Centralino disconnects a session that stops reading.
            buffer = b""
            while True:
                try:
                    chunk = s.recv(1 << 20)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                *messages, buffer = buffer.split(b"\r\n\r\n")
                for message in messages:
                    if b"Event: OriginateResponse" not in message:
                        continue
                    action = next((l[10:] for l in message.split(b"\r\n") if l.startswith(b"ActionID: ")), b"")
                    with lock:
                        outcomes[action.decode()] = b"Response: Success" in message

        threading.Thread(target=read_events, daemon=True).start()
        print(f"== click-to-call Originates through Centralino, {args.calls} per step, trunk holds {args.hold} ms")
        for rate in [int(r) for r in args.rates.split(",")]:
            start = time.time()
            for n in range(args.calls):
                delay = start + n / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                s.sendall((f"Action: Originate\r\nAsync: true\r\nChannel: Local/100@c2c\r\nContext: from_c2c\r\n"
                           f"Exten: 0391234567\r\nPriority: 1\r\nTimeout: 10000\r\nCallerId: \"c2c\" <0391234567>\r\n"
                           f"ActionID: r{rate}-{n}\r\n\r\n").encode())
            sent_seconds = time.time() - start
            ids = [f"r{rate}-{n}" for n in range(args.calls)]
            deadline = time.time() + 15
            while time.time() < deadline:
                with lock:
                    if all(i in outcomes for i in ids):
                        break
                time.sleep(0.1)
            with lock:
                answered = sum(1 for i in ids if outcomes.get(i) is True)
                failed = sum(1 for i in ids if outcomes.get(i) is False)
            missing = args.calls - answered - failed
            print(f"rate {rate}/s (sent in {sent_seconds:.2f} s): {answered} answered, {failed} failed, {missing} without response")
            time.sleep(args.hold / 1000 + 1.5)
        s.close()
    finally:
        if os.environ.get("BENCH_KEEP"):
            print("server log:", f"{work}/serve.out")
            shutil.copy(f"{work}/serve.out", "/tmp/bench-c2c-serve.out")
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

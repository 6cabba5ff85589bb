#!/usr/bin/env python3
"""The benchmarks of jaild, side by side with its peers, in one run.

Run through bench/run (which installs what is missing and builds in Release).
Every figure comes from compiled code or from jaild's own microsecond timers:
loadgen for the API, operation durations (duration_us) for starts and stops,
/proc for memory and CPU; Python only orchestrates. Peers (podman's REST API,
runc, crun, lxc) are measured in the same run on the same machine.

Writes bench/results/DATE.json and DATE.md and prints the table.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


# ---------------------------------------------------------------------------
# Small tools.

def summary(values):
    """median, p99, min, max and count of a list of numbers."""
    v = sorted(values)
    if not v:
        return {"n": 0}
    p99 = v[min(len(v) - 1, int(round(0.99 * (len(v) - 1))))]
    return {"n": len(v), "median": statistics.median(v), "p99": p99, "min": v[0], "max": v[-1]}


def run(argv, check=True, **kw):
    return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def peer(name, measure, *args):
    """A peer's figures, or None with the reason printed: a peer that fails
    leaves a hole in the table, never the run."""
    try:
        return measure(*args)
    except Exception as e:  # noqa: BLE001 - any failure of a peer is reported the same way
        log(f"{name}: FAILED, no figures: {e}")
        return None


def machine():
    info = {"kernel": platform.release(), "cpus": os.cpu_count()}
    try:
        for line in run(["lscpu"]).stdout.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except Exception:
        pass
    with open("/proc/meminfo") as f:
        info["memory_mib"] = int(f.readline().split()[1]) // 1024
    with contextlib.suppress(Exception):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    info["load_average_at_start"] = os.getloadavg()
    return info


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Api:
    """A keep-alive JSON client over a UNIX socket."""

    def __init__(self, socket_path):
        self.path = socket_path
        self.conn = UnixHTTPConnection(socket_path)

    def call(self, method, target, body=None, expect=None):
        payload = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        for attempt in range(2):
            try:
                self.conn.request(method, target, payload, headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = UnixHTTPConnection(self.path)
                if attempt:
                    raise
        if expect is not None and resp.status not in expect:
            raise RuntimeError(f"{method} {target}: HTTP {resp.status}: {data[:300]!r}")
        ctype = resp.getheader("Content-Type", "")
        return resp.status, (json.loads(data) if "json" in ctype and data else data)


def wait_socket(path, seconds=20):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        with contextlib.suppress(OSError):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.close()
            return True
        time.sleep(0.005)
    return False


def make_ca(directory):
    """A CA and a server certificate for 127.0.0.1, made now with openssl."""
    def o(*args):
        run(["openssl", *args])
    o("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", f"{directory}/ca.key", "-out", f"{directory}/ca.crt", "-days", "2",
      "-subj", "/CN=jaild bench CA")
    o("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", f"{directory}/server.key", "-out", f"{directory}/server.csr", "-subj", "/CN=localhost")
    with open(f"{directory}/ext.cnf", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    o("x509", "-req", "-in", f"{directory}/server.csr", "-CA", f"{directory}/ca.crt",
      "-CAkey", f"{directory}/ca.key", "-CAcreateserial", "-out", f"{directory}/server.crt",
      "-days", "2", "-extfile", f"{directory}/ext.cnf")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """A jaild of the Release build on its own state directory, with HTTPS."""

    def __init__(self, build, work, extra_config=""):
        self.build = build
        self.state = os.path.join(work, "state")
        self.certs = os.path.join(work, "certs")
        os.makedirs(self.certs, exist_ok=True)
        if not os.path.exists(f"{self.certs}/ca.crt"):
            make_ca(self.certs)
        self.port = free_port()
        self.conf = os.path.join(work, "jaild.conf")
        with open(self.conf, "w") as f:
            f.write(f"log_level = \"warn\"\n{extra_config}\n[https]\nlisten = \"127.0.0.1:{self.port}\"\n"
                    f"cert = \"{self.certs}/server.crt\"\nkey = \"{self.certs}/server.key\"\n")
        self.log_path = os.path.join(work, "jaild.log")
        self.proc = None

    @property
    def socket(self):
        return os.path.join(self.state, "jaild.sock")

    def start(self):
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen([f"{self.build}/daemon/jaild", "--config", self.conf,
                                      "--state-dir", self.state],
                                     stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        if not wait_socket(self.socket):
            raise RuntimeError("jaild did not start; see " + self.log_path)
        return time.monotonic() - t0

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.proc = None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadgen(build, *args):
    out = run([f"{build}/bench/jaild_loadgen", *map(str, args)], check=False)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"loadgen failed: {out.stderr}")


def list_gzip_bytes(socket_path):
    """The size of the jail list as jaild sends it to a client that accepts gzip."""
    conn = UnixHTTPConnection(socket_path)
    conn.request("GET", "/v1/jails", headers={"Accept-Encoding": "gzip"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    if resp.getheader("Content-Encoding") != "gzip":
        raise RuntimeError("jaild did not compress the jail list")
    return len(body)


def make_rootfs(path):
    """A busybox-static root file system (2 MB), as the system tests make them."""
    os.makedirs(path, exist_ok=True)
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc", "root"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(path, "bin/busybox"))
    for applet in run(["/bin/busybox", "--list"]).stdout.split():
        target = os.path.join(path, "bin", applet)
        if not os.path.exists(target):
            os.symlink("busybox", target)
    with open(os.path.join(path, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(path, "etc/group"), "w") as f:
        f.write("root:x:0:\n")


# ---------------------------------------------------------------------------
# 1. The API: requests per second and latency.

GZIP = ["-H", "Accept-Encoding: gzip"]
API_PATHS = [("health", "/v1/health", []), ("one jail", "/v1/jails/j0500", []),
             ("1000 jails", "/v1/jails", []), ("1000 jails, gzip", "/v1/jails", GZIP)]


def bench_api(args, work):
    res = {"jaild": [], "floor": [], "podman": []}
    d = Daemon(args.build, os.path.join(work, "api"))
    d.start()
    api = Api(d.socket)
    log("api: defining 1000 jails")
    for i in range(1000):
        root = os.path.join(work, "roots", f"j{i:04d}")  # jaild wants the path to exist
        os.makedirs(root, exist_ok=True)
        api.call("POST", "/v1/jails", {"name": f"j{i:04d}", "path": root,
                                        "hostname": f"j{i:04d}.example.org",
                                        "ip4": [f"lo0|10.{i // 250}.{i % 250}.1/32"],
                                        "limits": ["memoryuse:deny=512M", "maxproc:deny=100"],
                                        "params": {"allow.raw_sockets": True}},
                 expect={201})
    _, token = api.call("POST", "/v1/tokens", {"name": "bench", "role": "viewer"}, expect={201})
    secret = token["secret"]
    _, listing = api.call("GET", "/v1/jails")
    list_bytes = len(json.dumps(listing, separators=(",", ":")))
    gzip_bytes = list_gzip_bytes(d.socket)
    res["list_bytes"], res["list_gzip_bytes"] = list_bytes, gzip_bytes
    for name, path, extra in API_PATHS:
        for conns in args.connections:
            for transport in ("unix", "https"):
                target = (["--unix", d.socket] if transport == "unix" else
                          ["--tcp", f"127.0.0.1:{d.port}", "--tls", "--cacert", f"{d.certs}/ca.crt",
                           "-H", f"Authorization: Bearer {secret}"])
                r = loadgen(args.build, *target, *extra, "--path", path, "-c", conns,
                            "-d", args.api_seconds, "-w", 1)
                r.update({"what": name, "transport": transport})
                res["jaild"].append(r)
                log(f"api: jaild {transport} {name} c={conns}: {r['rps']:.0f} req/s, "
                    f"p50 {r['latency_ms']['p50']:.3f} ms, p99 {r['latency_ms']['p99']:.3f} ms")
    res["jaild_rss_kib_after"] = d.rss_kib()
    d.stop()

    # The client's own floor: a trivial server answering a prebuilt body.
    for label, size in (("small", 70), ("list", list_bytes), ("gzip list", gzip_bytes)):
        sock = os.path.join(work, "floor-" + label.replace(" ", "-") + ".sock")
        srv = subprocess.Popen([f"{args.build}/bench/jaild_floor_server", sock, str(size)])
        wait_socket(sock)
        for conns in args.connections:
            r = loadgen(args.build, "--unix", sock, "--path", "/", "-c", conns,
                        "-d", args.api_seconds, "-w", 1)
            r.update({"what": f"floor {label} ({size} B)", "transport": "unix"})
            res["floor"].append(r)
            log(f"api: floor {label} c={conns}: {r['rps']:.0f} req/s, p99 {r['latency_ms']['p99']:.3f} ms")
        srv.kill()
        srv.wait()

    if not args.no_peers:
        res["podman"] = peer("podman", bench_podman, args, work) or []
    return res


def bench_podman(args, work):
    if not shutil.which("podman"):
        log("api: podman not installed, skipped")
        return []
    base = os.path.join(work, "podman")
    os.makedirs(base, exist_ok=True)
    conf = os.path.join(base, "containers.conf")
    storage = os.path.join(base, "storage.conf")
    with open(conf, "w") as f:
        f.write('[containers]\ndefault_ulimits=["nofile=1024:1024","nproc=4096:4096"]\n'
                '[engine]\nruntime="runc"\ncgroup_manager="cgroupfs"\nevents_logger="file"\n'
                f'tmp_dir="{base}/tmp"\nvolume_path="{base}/volumes"\n'
                '[network]\n' f'network_config_dir="{base}/net"\n')
    with open(storage, "w") as f:
        f.write(f'[storage]\ndriver="overlay"\ngraphroot="{base}/graph"\nrunroot="{base}/run"\n')
    env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage)
    rootfs = os.path.join(base, "rootfs")
    make_rootfs(rootfs)
    run(["tar", "-C", rootfs, "-cf", f"{base}/bb.tar", "."])
    run(["podman", "import", f"{base}/bb.tar", "localhost/jaild-bench-bb:latest"], env=env)
    sock = os.path.join(base, "podman.sock")
    svc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = []
    try:
        if not wait_socket(sock, 30):
            raise RuntimeError("podman service did not start")
        api = Api(sock)
        log("api: podman: creating 1000 containers")
        for i in range(1000):
            api.call("POST", "/v4.0.0/libpod/containers/create",
                     {"name": f"pb-c{i:04d}", "image": "localhost/jaild-bench-bb:latest",
                      "command": ["sleep", "100000"], "netns": {"nsmode": "none"}}, expect={201})
        time.sleep(2)
        with open(f"/proc/{svc.pid}/status") as f:
            rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
        for name, path, seconds in (("ping", "/_ping", args.api_seconds),
                                    ("1000 containers",
                                     "/v4.0.0/libpod/containers/json?all=true", args.api_seconds * 2)):
            for conns in args.connections:
                r = loadgen(args.build, "--unix", sock, "--path", path, "-c", conns,
                            "-d", seconds, "-w", 1)
                r.update({"what": name, "transport": "unix", "service_rss_kib_idle": rss})
                out.append(r)
                log(f"api: podman {name} c={conns}: {r['rps']:.1f} req/s, p50 "
                    f"{r['latency_ms']['p50']:.1f} ms, p99 {r['latency_ms']['p99']:.1f} ms")
    finally:
        svc.send_signal(signal.SIGTERM)
        with contextlib.suppress(Exception):
            svc.wait(timeout=30)
        run(["podman", "rm", "-a", "-f"], env=env, check=False)
        run(["podman", "system", "reset", "-f"], env=env, check=False)
    return out


# ---------------------------------------------------------------------------
# 2. Boot: 100 VNET jails with limits, through the API, and the peers.

def jail_specs(prefix, rootfs, bridge, n, waves):
    specs = []
    per_wave = n // waves
    for i in range(n):
        spec = {"name": f"{prefix}{i:03d}", "path": rootfs, "hostname": f"b{i}",
                "limits": ["maxproc:deny=200", "memoryuse:deny=256M"],
                "vnet": {"interfaces": [{"bridge": bridge,
                                         "ip4": [f"10.244.{i // 200}.{i % 200 + 2}/16"]}]}}
        if waves > 1 and i >= per_wave:
            spec["depend"] = [f"{prefix}{i - per_wave:03d}"]
        specs.append(spec)
    return specs


def wait_all_running(api, names, seconds=300):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        _, body = api.call("GET", "/v1/jails")
        states = {j["spec"]["name"]: j["status"]["state"] for j in body["jails"]}
        if all(states.get(n) == "running" for n in names):
            return True
        if any(states.get(n) in ("failed", "crashloop") for n in names):
            bad = [n for n in names if states.get(n) in ("failed", "crashloop")]
            raise RuntimeError(f"jails failed to start: {bad[:5]}")
        time.sleep(0.002)
    return False


def op_durations_ms(api, names, kind):
    out = []
    for n in names:
        _, body = api.call("GET", f"/v1/operations?jail={n}&limit=5")
        for op in body["operations"]:
            if op["kind"] == kind and op["state"] == "succeeded" and "duration_us" in op:
                out.append(op["duration_us"] / 1000.0)
                break
    return out


def bench_boot(args, work):
    res = {"jaild": [], "peers": []}
    rootfs = os.path.join(work, "rootfs")
    make_rootfs(rootfs)
    bridge = "jbbr0"
    d = Daemon(args.build, os.path.join(work, "boot"),
               f"[engine]\nparallel_starts = {args.parallel}\n")
    d.start()
    api = Api(d.socket)
    try:
        for mode, waves in (("independent", 1), ("4 dependency waves", 4)):
            prefix = "w" if waves > 1 else "i"
            specs = jail_specs(prefix, rootfs, bridge, args.jails, waves)
            for s in specs:
                api.call("POST", "/v1/jails", s, expect={201})
            names = [s["name"] for s in specs]
            for rep in range(args.boot_reps):
                t0 = time.monotonic()
                for n in names:
                    api.call("POST", f"/v1/jails/{n}/start?async=true", expect={202})
                ok = wait_all_running(api, names)
                total = time.monotonic() - t0
                if not ok:
                    raise RuntimeError("not all jails reached running")
                starts = op_durations_ms(api, names, "start")
                stop_client = []
                for n in reversed(names):
                    t1 = time.perf_counter()
                    api.call("POST", f"/v1/jails/{n}/stop", expect={200})
                    stop_client.append((time.perf_counter() - t1) * 1000)
                stops = op_durations_ms(api, names, "stop")
                r = {"mode": mode, "rep": rep, "jails": len(names), "total_s": total,
                     "start_ms": summary(starts), "stop_ms": summary(stops),
                     "stop_request_ms": summary(stop_client)}
                res["jaild"].append(r)
                log(f"boot: jaild {mode} #{rep}: {len(names)} running in {total:.3f} s; start median "
                    f"{r['start_ms']['median']:.2f} ms p99 {r['start_ms']['p99']:.2f}; stop median "
                    f"{r['stop_ms']['median']:.2f} ms p99 {r['stop_ms']['p99']:.2f}")
            # Dependents first: a jail others depend on is not deleted before them.
            for n in reversed(names):
                api.call("DELETE", f"/v1/jails/{n}", expect={204})
    finally:
        d.stop()
    if not args.no_peers:
        res["peers"] = bench_boot_peers(args, work, rootfs)
    return res


# The peers, as peer_bench.md measured them: per container a network
# namespace, a veth whose host end is on a bridge, an address, then the
# runtime. Each step is a process, timed from here (the driver's own cost per
# process, ~1 ms, is in the figures, as it was in peer_bench.md).

def bench_boot_peers(args, work, rootfs):
    out = []
    bridge = "pbbr0"
    run(["ip", "link", "add", bridge, "type", "bridge"])
    run(["ip", "link", "set", bridge, "up"])
    try:
        for runtime in ("runc", "crun"):
            if not shutil.which(runtime):
                log(f"boot: {runtime} not installed, skipped")
                continue
            r = peer(runtime, boot_oci, args, work, rootfs, runtime, bridge)
            if r:
                out.append(r)
        if shutil.which("lxc-start"):
            r = peer("lxc", boot_lxc, args, work, bridge)
            if r:
                out.append(r)
        else:
            log("boot: lxc not installed, skipped")
    finally:
        run(["ip", "link", "del", bridge], check=False)
    return out


def remove_cgroup_dirs(name):
    """Removes the (empty) cgroup NAME that a peer left below this process's own
    cgroup or at the root, in every mounted hierarchy."""
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if " - cgroup" in line]
    with open("/proc/self/cgroup") as f:
        own = {line.rstrip("\n").split(":", 2)[2] for line in f}
    for m in mounts:
        for base in own | {"/"}:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(m + base, name))


def oci_bundle(base, rootfs, i, netns):
    bundle = os.path.join(base, f"c{i:03d}")
    os.makedirs(bundle, exist_ok=True)
    run(["runc", "spec", "--bundle", bundle])
    with open(os.path.join(bundle, "config.json")) as f:
        spec = json.load(f)
    spec["root"] = {"path": rootfs, "readonly": True}
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["sleep", "100000"]
    spec["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    spec["hostname"] = f"c{i}"
    for ns in spec["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = f"/run/netns/{netns}"
    spec["linux"]["resources"] = {"pids": {"limit": 200},
                                  "memory": {"limit": 256 * 1024 * 1024}}
    spec["linux"]["cgroupsPath"] = f"jaildbench/c{i:03d}"
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(spec, f)
    return bundle


def boot_oci(args, work, rootfs, runtime, bridge):
    base = os.path.join(work, runtime)
    state = os.path.join(base, "state")
    os.makedirs(state, exist_ok=True)
    n = args.jails
    bundles = [oci_bundle(base, rootfs, i, f"pb{i:03d}") for i in range(n)]
    wrap = []
    if runtime == "crun":
        # crun 1.8 refuses this hybrid host while hugetlb is on cgroup2 (peer_bench.md): run
        # it in a private mount namespace with hugetlb bound to a v1 mount.
        hug = os.path.join(base, "hugetlb")
        os.makedirs(hug, exist_ok=True)
        wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                f"mount -t cgroup -o hugetlb none {hug} && exec \"$@\"", "sh"]
    extra = ["--cgroup-manager=cgroupfs"] if runtime == "crun" else []
    starts, stops, made = [], [], 0
    try:
        t0 = time.monotonic()
        for i in range(n):
            ns, host_end = f"pb{i:03d}", f"pbv{i:03d}"
            t1 = time.perf_counter()
            made = i + 1
            run(["ip", "netns", "add", ns])
            run(["ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", ns])
            run(["ip", "link", "set", host_end, "master", bridge, "up"])
            run(["ip", "-n", ns, "addr", "add", f"10.245.{i // 200}.{i % 200 + 2}/16", "dev", "eth0"])
            run(["ip", "-n", ns, "link", "set", "eth0", "up"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            # The container inherits stdout and stderr: they must not be the pipes
            # run() waits on, or it would wait for the container's end.
            subprocess.run(wrap + [runtime, "--root", state, *extra, "run", "-d", "--bundle",
                                   bundles[i], f"pb{runtime}{i:03d}"], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            starts.append((time.perf_counter() - t1) * 1000)
        total = time.monotonic() - t0
    finally:
        # Timed only when every start succeeded; removed in any case.
        for i in range(made):
            t1 = time.perf_counter()
            run(wrap + [runtime, "--root", state, *extra, "delete", "-f", f"pb{runtime}{i:03d}"],
                check=False)
            run(["ip", "netns", "del", f"pb{i:03d}"], check=False)
            stops.append((time.perf_counter() - t1) * 1000)
        remove_cgroup_dirs("jaildbench")
    r = {"peer": f"{runtime} run -d (+ netns, veth on a bridge, address: 6 ip processes)",
         "jails": n, "total_s": total, "start_ms": summary(starts), "stop_ms": summary(stops)}
    log(f"boot: {runtime}: {n} in {total:.2f} s; start median {r['start_ms']['median']:.1f} ms; "
        f"stop median {r['stop_ms']['median']:.1f} ms")
    return r


def boot_lxc(args, work, bridge):
    base = os.path.join(work, "lxc")
    os.makedirs(base, exist_ok=True)
    n = args.jails
    log(f"boot: lxc: creating {n} busybox containers (slow, not timed)")
    for i in range(n):
        conf = os.path.join(base, f"c{i:03d}.conf")
        with open(conf, "w") as f:
            f.write("lxc.net.0.type = veth\nlxc.net.0.link = %s\nlxc.net.0.flags = up\n"
                    "lxc.net.0.name = eth0\nlxc.net.0.ipv4.address = 10.246.%d.%d/16\n"
                    "lxc.apparmor.profile = unconfined\nlxc.cgroup.pids.max = 200\n"
                    % (bridge, i // 200, i % 200 + 2))
        run(["lxc-create", "-P", base, "-n", f"pbl{i:03d}", "-t", "busybox", "-f", conf])
        rcs = os.path.join(base, f"pbl{i:03d}", "rootfs", "etc", "init.d", "rcS")
        if os.path.exists(rcs):  # its udhcpc would remove the static address (peer_bench.md)
            with open(rcs) as f:
                lines = [l for l in f if "udhcpc" not in l]
            with open(rcs, "w") as f:
                f.writelines(lines)
    starts, stops = [], []
    try:
        t0 = time.monotonic()
        for i in range(n):
            t1 = time.perf_counter()
            # lxc-start daemonizes: its output must not be a pipe run() waits on.
            subprocess.run(["lxc-start", "-P", base, "-n", f"pbl{i:03d}"], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            starts.append((time.perf_counter() - t1) * 1000)
        total = time.monotonic() - t0
    finally:
        for i in range(n):
            t1 = time.perf_counter()
            run(["lxc-stop", "-P", base, "-k", "-n", f"pbl{i:03d}"], check=False)
            stops.append((time.perf_counter() - t1) * 1000)
        for i in range(n):
            run(["lxc-destroy", "-P", base, "-n", f"pbl{i:03d}"], check=False)
        # lxc leaves an empty lxc.pivot cgroup in every hierarchy (peer_bench.md).
        remove_cgroup_dirs("lxc.pivot")
    r = {"peer": "lxc-start (daemonizes at RUNNING; veth on a bridge, static address)",
         "jails": n, "total_s": total, "start_ms": summary(starts), "stop_ms": summary(stops)}
    log(f"boot: lxc: {n} in {total:.2f} s; start median {r['start_ms']['median']:.1f} ms")
    return r


# ---------------------------------------------------------------------------
# 3. Footprint and 4. recovery, on one jaild with 1,000 defined and 100 running.

def bench_footprint_recovery(args, work):
    rootfs = os.path.join(work, "rootfs-fr")
    make_rootfs(rootfs)
    d = Daemon(args.build, os.path.join(work, "fr"), f"[engine]\nparallel_starts = {args.parallel}\n")
    d.start()
    api = Api(d.socket)
    res = {}
    try:
        for i in range(1000 - args.jails):
            root = os.path.join(work, "roots", f"d{i:04d}")  # jaild wants the path to exist
            os.makedirs(root, exist_ok=True)
            api.call("POST", "/v1/jails", {"name": f"d{i:04d}", "path": root,
                                            "limits": ["memoryuse:deny=512M"]}, expect={201})
        specs = jail_specs("r", rootfs, "jfbr0", args.jails, 1)
        for s in specs:
            s["restart"] = "unless-stopped"
            api.call("POST", "/v1/jails", s, expect={201})
        names = [s["name"] for s in specs]
        for n in names:
            api.call("POST", f"/v1/jails/{n}/start?async=true", expect={202})
        if not wait_all_running(api, names):
            raise RuntimeError("not all jails reached running")
        time.sleep(2)
        rss0, cpu0 = d.rss_kib(), d.cpu_seconds()
        time.sleep(args.idle_seconds)
        cpu_idle = (d.cpu_seconds() - cpu0) / args.idle_seconds * 100
        rss_idle = d.rss_kib()
        # 10,000 API calls, then memory again.
        r = loadgen(args.build, "--unix", d.socket, "--path", "/v1/jails/d0001", "-c", 4,
                    "-d", 1, "-w", 0)
        calls = r["requests"]
        while calls < 10000:
            r = loadgen(args.build, "--unix", d.socket, "--path", "/v1/jails", "-c", 2, "-d", 1, "-w", 0)
            calls += r["requests"]
        time.sleep(1)
        res["footprint"] = {"defined": 1000, "running": len(names),
                            "rss_mib_idle": rss_idle / 1024, "rss_mib_before_idle": rss0 / 1024,
                            "cpu_percent_idle": cpu_idle, "idle_seconds": args.idle_seconds,
                            "api_calls": calls, "rss_mib_after_calls": d.rss_kib() / 1024}
        log(f"footprint: RSS {rss_idle / 1024:.1f} MiB idle, CPU {cpu_idle:.2f} % over "
            f"{args.idle_seconds} s; after {calls} calls RSS {d.rss_kib() / 1024:.1f} MiB")

        # Recovery: SIGKILL with 100 running, start again.
        _, before = api.call("GET", "/v1/jails")
        jids = {j["spec"]["name"]: j["status"]["jid"] for j in before["jails"] if j["spec"]["name"] in names}
        d.stop(signal.SIGKILL)
        t0 = time.monotonic()
        d.start()
        api = Api(d.socket)
        while True:
            with contextlib.suppress(Exception):
                if api.call("GET", "/v1/health")[0] == 200:
                    break
            time.sleep(0.001)
        t_api = time.monotonic() - t0
        ok = wait_all_running(api, names, 60)
        t_all = time.monotonic() - t0
        _, after = api.call("GET", "/v1/jails")
        restarted = sum(1 for j in after["jails"] if j["spec"]["name"] in jids and
                        j["status"]["jid"] != jids[j["spec"]["name"]])
        _, events = api.call("GET", "/v1/events?since=0&follow=false")
        reconcile_ms = None
        for block in events.decode().split("\n\n"):
            if "daemon.reconciled" in block:
                data = json.loads(block.split("data: ", 1)[1])
                reconcile_ms = data["data"]["duration_ms"]
        res["recovery"] = {"running": len(names), "api_answers_s": t_api, "all_adopted_s": t_all,
                           "adopted_ok": ok, "restarted": restarted, "reconcile_ms": reconcile_ms}
        log(f"recovery: API answers after {t_api * 1000:.0f} ms, all {len(names)} adopted after "
            f"{t_all * 1000:.0f} ms, {restarted} restarted, reconcile {reconcile_ms} ms")
        for n in names:
            api.call("POST", f"/v1/jails/{n}/stop", expect={200})
    finally:
        d.stop()
    return res


# ---------------------------------------------------------------------------
# 5. The Linux adapter alone, beside runc and crun (issue 4's benchmark).

def bench_adapter(args, work):
    out = os.path.join(work, "adapter.json")
    r = run([f"{args.build}/bench/linux_adapter_bench", "--iterations", str(args.adapter_iterations),
             "--json", out], check=False)
    if r.returncode != 0:
        log("adapter: failed: " + r.stderr[-500:])
        return {}
    with open(out) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# The report.

def fmt_ms(x):
    return "-" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.1f}")


def markdown(results):
    m = results["machine"]
    lines = [f"# jaild benchmarks, {results['date']}", "",
             f"Machine: {m.get('cpu', '?')}, {m['cpus']} CPUs, {m['memory_mib']} MiB, Linux {m['kernel']}, "
             f"{m.get('os', '')}; load average at start {m['load_average_at_start'][0]:.2f}.", ""]
    api = results.get("api")
    if api:
        lines += ["## API (keep-alive; loadgen, one thread per connection)", "",
                  "| server | request | transport | connections | req/s | p50 ms | p99 ms |",
                  "|---|---|---|---|---|---|---|"]
        def api_row(server, r, rps_format):
            lat = r["latency_ms"]
            return (f"| {server} | {r['what']} | {r['transport']} | {r['connections']} | "
                    f"{r['rps']:{rps_format}} | {fmt_ms(lat['p50'])} | {fmt_ms(lat['p99'])} |")
        lines += [api_row("jaild", r, ".0f") for r in api["jaild"]]
        lines += [api_row("trivial server (client floor)", r, ".0f") for r in api["floor"]]
        lines += [api_row("podman 4.3 REST", r, ".1f") for r in api["podman"]]
        lines.append("")
    boot = results.get("boot")
    if boot:
        lines += ["## Boot: 100 VNET jails with limits, from cold", "",
                  "| who | mode | all running (s) | start median ms | start p99 ms | stop median ms | stop p99 ms |",
                  "|---|---|---|---|---|---|---|"]
        def boot_row(who, mode, r):
            return (f"| {who} | {mode} | {r['total_s']:.3f} | {fmt_ms(r['start_ms']['median'])} | "
                    f"{fmt_ms(r['start_ms']['p99'])} | {fmt_ms(r['stop_ms']['median'])} | "
                    f"{fmt_ms(r['stop_ms']['p99'])} |")
        lines += [boot_row("jaild (API, async)", f"{r['mode']} #{r['rep']}", r) for r in boot["jaild"]]
        lines += [boot_row(r["peer"], "one at a time", r) for r in boot["peers"]]
        lines.append("")
    fr = results.get("footprint_recovery")
    if fr:
        f, rc = fr["footprint"], fr["recovery"]
        lines += ["## Footprint and recovery", "",
                  f"- {f['defined']} jails defined, {f['running']} running: RSS {f['rss_mib_idle']:.1f} MiB, "
                  f"CPU {f['cpu_percent_idle']:.2f} % over {f['idle_seconds']} s idle; after "
                  f"{f['api_calls']} API calls RSS {f['rss_mib_after_calls']:.1f} MiB.",
                  f"- SIGKILL with {rc['running']} running: the API answered after "
                  f"{rc['api_answers_s'] * 1000:.0f} ms, all adopted after {rc['all_adopted_s'] * 1000:.0f} ms "
                  f"(reconcile {rc['reconcile_ms']} ms), {rc['restarted']} restarted.", ""]
    ad = results.get("adapter")
    if ad:
        lines += ["## The Linux adapter alone (linux_adapter_bench)", "", "```",
                  json.dumps(ad.get("results", ad), indent=1)[:3000], "```", ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(TOP, "build-bench"))
    p.add_argument("--only", action="append", choices=["api", "boot", "footprint", "adapter"])
    p.add_argument("--no-peers", action="store_true")
    p.add_argument("--api-seconds", type=int, default=5)
    p.add_argument("--connections", type=int, nargs="+", default=[1, 16, 64])
    p.add_argument("--jails", type=int, default=100)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--boot-reps", type=int, default=3)
    p.add_argument("--idle-seconds", type=int, default=10)
    p.add_argument("--adapter-iterations", type=int, default=200)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/driver.py: run as root")
    only = set(args.only or ["api", "boot", "footprint", "adapter"])
    results = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": machine(),
               "git": run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()}
    work = tempfile.mkdtemp(prefix="jaild-bench.")
    try:
        if "adapter" in only:
            results["adapter"] = bench_adapter(args, work)
        if "api" in only:
            results["api"] = bench_api(args, work)
        if "boot" in only:
            results["boot"] = bench_boot(args, work)
        if "footprint" in only:
            results["footprint_recovery"] = bench_footprint_recovery(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    with open(os.path.join(args.out, f"{stamp}.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = markdown(results)
    with open(os.path.join(args.out, f"{stamp}.md"), "w") as f:
        f.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()

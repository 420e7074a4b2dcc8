"""Shared pieces of p's benchmarks: a throwaway sshd, an ssh config both OpenSSH and p
read, the slowlink proxy, and side-by-side timing with medians and ratios."""
import os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLOWLINK = os.path.join(ROOT, "..", "shared", "tools", "slowlink.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_floor():
    """Compiles bench/lib/libssh2_floor.c (libssh2 called from C) and returns its path."""
    path = os.path.join(ROOT, ".build-bench-libssh2-floor")
    subprocess.run(["cc", "-O2", "-o", path, os.path.join(ROOT, "bench/lib/libssh2_floor.c"), "-lssh2"], check=True)
    return path


def build_p():
    subprocess.run(["swift", "build", "-c", "release", "--product", "p"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "p")


class Worker:
    """An sshd on 127.0.0.1 with its own keys, and a client config naming it `bench`."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="p-bench-")
        self.key = os.path.join(self.dir, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key], check=True)
        shutil.copy(self.key + ".pub", os.path.join(self.dir, "authorized_keys"))
        self.port = free_port()
        subprocess.run([os.path.join(ROOT, "docker/sshd/start-sshd.sh"), "--port", str(self.port),
                        "--state-dir", os.path.join(self.dir, "sshd"),
                        "--authorized-keys", os.path.join(self.dir, "authorized_keys"),
                        "--watch-pid", str(os.getpid())], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "sshd/ssh_host_ed25519_key.pub")) as f:
            self.host_key = " ".join(f.read().split()[:2])
        self.user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        self.proxies = []

    def config(self, port=None, extra=""):
        """An ssh_config file for `bench` at `port` (the sshd's, or a proxy's)."""
        port = port or self.port
        known = os.path.join(self.dir, f"known_hosts_{port}")
        with open(known, "w") as f:
            f.write(f"[127.0.0.1]:{port} {self.host_key}\n")
        path = os.path.join(self.dir, f"config_{port}_{abs(hash(extra))}")
        with open(path, "w") as f:
            f.write(f"Host bench\n  HostName 127.0.0.1\n  Port {port}\n  User {self.user}\n"
                    f"  IdentityFile {self.key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n"
                    f"  StrictHostKeyChecking yes\n  BatchMode yes\n{extra}")
        return path

    def slowlink(self, delay_ms, mbit=None):
        """Starts slowlink in front of the sshd; returns its port, or None without it."""
        if not os.path.exists(SLOWLINK):
            print(f"(slowlink not found at {SLOWLINK}: skipping the delayed-link runs)")
            return None
        port = free_port()
        args = [sys.executable, SLOWLINK, "--listen", f"127.0.0.1:{port}", "--to", f"127.0.0.1:{self.port}",
                "--delay-ms", str(delay_ms)]
        if mbit:
            args += ["--mbit", str(mbit)]
        proxy = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        proxy.stdout.readline()  # "ready PORT"
        self.proxies.append(proxy)
        return port

    def close(self):
        for proxy in self.proxies:
            proxy.send_signal(signal.SIGTERM)
        try:
            with open(os.path.join(self.dir, "sshd/sshd.pid")) as f:
                os.kill(int(f.read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def timed(argv, stdout=subprocess.DEVNULL):
    """Wall time and peak RSS (bytes) of one run; fails loudly on a non-zero exit."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({process.returncode}): {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss * 1024


def compare(title, contenders, runs, baseline, before=None):
    """Runs each contender `runs` times, alternating, and prints medians and ratios to the
    baseline. `contenders` maps a name to an argv; `before`, if given, runs (untimed)
    before each run."""
    times = {name: [] for name in contenders}
    for _ in range(runs):
        for name, argv in contenders.items():
            if before:
                before()
            times[name].append(timed(argv)[0])
    base = statistics.median(times[baseline])
    print(f"\n{title}  ({runs} runs each, alternating; median)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<34} {median * 1000:9.1f} ms   {median / base:5.2f}x {baseline}")
    return {name: statistics.median(values) for name, values in times.items()}

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
    # p and p-server, which `p mcp` and `p ui` hand over to, built as the README installs them:
    # the Swift runtime and Foundation linked in (start-up: no shared libraries to load).
    # P_BENCH_P names another p to measure (a packaged one: its p-server must be beside it).
    if os.environ.get("P_BENCH_P"):
        return os.environ["P_BENCH_P"]
    for product in ["p", "p-server"]:
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "p")


class Worker:
    """An sshd on 127.0.0.1 with its own keys, and a client config naming it `bench`."""

    def __init__(self, options=()):
        """`options`: more sshd_config lines (`SetEnv SLURM_CONF=...`, say)."""
        self.dir = tempfile.mkdtemp(prefix="p-bench-")
        self.key = os.path.join(self.dir, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key], check=True)
        shutil.copy(self.key + ".pub", os.path.join(self.dir, "authorized_keys"))
        self.port = free_port()
        subprocess.run([os.path.join(ROOT, "docker/sshd/start-sshd.sh"), "--port", str(self.port),
                        "--state-dir", os.path.join(self.dir, "sshd"),
                        "--authorized-keys", os.path.join(self.dir, "authorized_keys"),
                        "--watch-pid", str(os.getpid())] + [a for o in options for a in ("--option", o)],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "sshd/ssh_host_ed25519_key.pub")) as f:
            self.host_key = " ".join(f.read().split()[:2])
        self.user = self.account()
        if self.user != subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip():
            # The benchmark login reads and writes test files here, like /tmp.
            os.chmod(self.dir, 0o1777)
        self.proxies = []

    @staticmethod
    def account():
        """The login the benchmarks use. Run as root, an account of their own with a stock
        home (`pbench`, created if missing), so that the developer's login scripts (a
        `.bashrc` running `pyenv init` on every command, say) do not dominate what is
        measured; otherwise the current user. P_BENCH_USER overrides."""
        if os.environ.get("P_BENCH_USER"):
            return os.environ["P_BENCH_USER"]
        if os.getuid() != 0:
            return subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        if subprocess.run(["id", "pbench"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", "pbench"], check=True)
            subprocess.run(["usermod", "-p", "*", "pbench"], check=True)
        return "pbench"

    def home(self):
        """The login's home directory on the worker (this machine)."""
        import pwd
        return pwd.getpwnam(self.user).pw_dir

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


def timed(argv, stdout=subprocess.DEVNULL, env=None):
    """Wall time and peak RSS (bytes) of one run; fails loudly on a non-zero exit."""
    # stderr goes to a file: a pipe nobody reads until the end would stall a program that
    # writes much to it.
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=errors, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            text = errors.read().decode(errors="replace")
            # A crash report names the crashed thread first: keep the head as well as the tail.
            shown = text if len(text) <= 8000 else text[:5000] + "\n[...]\n" + text[-3000:]
            raise SystemExit(f"{argv[0]} failed ({process.returncode}): {shown}")
    return elapsed, usage.ru_maxrss * 1024


def compare(title, contenders, runs, baseline, before=None, env=None):
    """Runs each contender `runs` times, alternating, and prints medians and ratios to the
    baseline. `contenders` maps a name to an argv; `before`, if given, runs (untimed)
    before each run; `env` maps a contender's name to its environment."""
    times = {name: [] for name in contenders}
    for _ in range(runs):
        for name, argv in contenders.items():
            if before:
                before()
            times[name].append(timed(argv, env=(env or {}).get(name))[0])
    base = statistics.median(times[baseline])
    print(f"\n{title}  ({runs} runs each, alternating; median)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<34} {median * 1000:9.1f} ms   {median / base:5.2f}x {baseline}")
    return {name: statistics.median(values) for name, values in times.items()}


def p_client(worker, port=None, extra=""):
    """A client world for the `p` CLI: a HOME whose ~/.ssh/config names the worker `bench`
    (through `port`, a proxy's, if given) and XDG directories with `bench` registered as
    the default worker (root ~/.p-bench). Returns the environment to run p with."""
    home = tempfile.mkdtemp(prefix="p-bench-client-", dir=worker.dir)
    os.makedirs(os.path.join(home, ".ssh"))
    shutil.copy(worker.config(port, extra), os.path.join(home, ".ssh", "config"))
    os.makedirs(os.path.join(home, "config", "p"))
    with open(os.path.join(home, "config", "p", "config.yaml"), "w") as f:
        f.write("default_worker: bench\nworkers:\n- name: bench\n  connection: bench\n  root: ~/.p-bench\n")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"))
    env.pop("SSH_AUTH_SOCK", None)
    return env


def fleet_client(workers, root, worker_lines="", extra_hosts=()):
    """A client world for the `p` CLI over several workers, named w0, w1, ... (w0 the
    default), each with its root `~/<root>/wN` and `worker_lines` more config (`labels:
    [pool]`, say), plus `extra_hosts`: (name, worker, port) entries reaching a worker through
    another port (a proxy's), registered as workers of their own. Returns (home, env)."""
    home = tempfile.mkdtemp(prefix="p-bench-fleet-", dir=workers[0].dir)
    os.makedirs(os.path.join(home, ".ssh"))
    os.makedirs(os.path.join(home, "config", "p"))
    entries = [(f"w{index}", worker, None) for index, worker in enumerate(workers)] + list(extra_hosts)
    with open(os.path.join(home, ".ssh", "config"), "w") as ssh_config, \
            open(os.path.join(home, "config", "p", "config.yaml"), "w") as config:
        config.write("default_worker: w0\nworkers:\n")
        for name, worker, port in entries:
            with open(worker.config(port)) as f:
                ssh_config.write(f.read().replace("Host bench", f"Host {name}") + "\n")
            config.write(f"- name: {name}\n  connection: {name}\n  root: ~/{root}/{name}\n"
                         + (worker_lines if port is None else ""))
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), XDG_RUNTIME_DIR=os.path.join(home, "run"))
    env.pop("SSH_AUTH_SOCK", None)
    return home, env


def poll_servers():
    """How many of p's poll servers (the long-lived exec each watching client keeps per
    worker) run on this machine, which hosts the benchmark's workers."""
    processes = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout
    return sum(1 for line in processes.splitlines() if "while read -r o m g J" in line and line.startswith("sh -c"))

"""Code shared by the benchmarks' child processes (each fit runs in a fresh process so that its
peak resident memory is its own)."""

#: Source of ``status(key)``: a field of /proc/self/status in MB (``"VmRSS"``, ``"VmHWM"``).
STATUS = """
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0
    return float("nan")
"""

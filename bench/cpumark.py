#!/usr/bin/env python3
"""Print one line: "WALL_US OTHERS_MS OURS_MS STEAL_MS" — cumulative CPU time, at this instant,
of every process outside the tree rooted at ROOT_PID ("others") and inside it ("ours").

usage: cpumark.py ROOT_PID

Subtract two marks to get the CPU used in between. Each process counts utime + stime plus
cutime + cstime (its reaped children), so a short compile job that starts and ends between the
two marks still shows up, in its parent's (make's, the shell's) cutime. Kernel threads count as
others. Steal (time the hypervisor gave our vCPUs to someone else) comes from /proc/stat.
Precise to a clock tick per process. Standard library only.
"""
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def read_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = data[data.rindex(")") + 2:].split()
    ppid = int(rest[1])
    utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
    return ppid, utime + stime + cutime + cstime


def main():
    root = int(sys.argv[1])
    me = os.getpid()
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me:
            s = read_stat(int(name))
            if s:
                procs[int(name)] = s
    # The tree under root: walk parents (ppid chains are short).
    ours = set()
    for pid in procs:
        p, seen = pid, 0
        while p in procs and seen < 64:
            if p == root:
                ours.add(pid)
                break
            p, seen = procs[p][0], seen + 1
    ours_t = sum(t for pid, (_, t) in procs.items() if pid in ours)
    others_t = sum(t for pid, (_, t) in procs.items() if pid not in ours)
    with open("/proc/stat") as f:
        fields = f.readline().split()
    steal = int(fields[8]) if len(fields) > 8 else 0
    to_ms = 1000 // HZ if 1000 % HZ == 0 else 1000 / HZ
    print(int(time.time() * 1e6), int(others_t * to_ms), int(ours_t * to_ms), int(steal * to_ms))


if __name__ == "__main__":
    main()

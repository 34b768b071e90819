#!/usr/bin/env python3
"""The corpus measurement behind `record --static` (see the README).

For each program of the corpus: record a profile from a train input, with
and without --static; run several test inputs, each on a fresh copy of the
same fixture, unconfined and under both profiles, and compare what they
print, their exit status and the files they leave (fidelity); count the
syscalls each profile allows next to `sysfence analyze` alone and Docker's
default (size); run each input under `strace -f` and check that every
syscall it made is in analyze's result for the programs it executed
(soundness). Prints a Markdown table and a summary.

Usage: scripts/bench-static.sh [-k NAME_SUBSTRING]   (run by the .sh wrapper)
Environment: SYSFENCE (the binary), STATICPROG (a static C test program).
"""
import hashlib, json, os, re, shutil, statistics, subprocess, sys, tempfile

SYSFENCE = os.environ.get("SYSFENCE", "sysfence")
STATICPROG = os.environ.get("STATICPROG", "")
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/nonexistent", "LANG": "C", "LC_ALL": "C", "TZ": "UTC",
    "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
    "GIT_COMMITTER_EMAIL": "a@b", "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z", "GIT_CONFIG_NOSYSTEM": "1",
}

def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), env=ENV, **kw)

def make_template(root):
    """The fixture every input starts from (mtimes fixed)."""
    os.makedirs(root)
    w = lambda p, s: open(os.path.join(root, p), "w").write(s)
    w("f1", "alpha\nbanana\ncherry\naaa\n")
    w("f2", "one\ntwo\nthree\n")
    w("big", "".join("%d line %s\n" % (i * 7919 % 1000, "a" * (i % 13)) for i in range(20000)))
    os.makedirs(os.path.join(root, "d1/sub"))
    w("d1/x", "x\n"); w("d1/sub/y", "y a\n")
    os.symlink("x", os.path.join(root, "d1/lnk"))
    os.makedirs(os.path.join(root, "out"))
    sh("cd %s && tar cf t.tar d1 && gzip -k -n f1 && mv f1.gz z.gz && xz -k f2 && mv f2.xz z.xz" % root, check=True)
    sh("cd %s && git init -q repo && cp f1 repo/f && git -C repo add f && git -C repo commit -q -m first" % root, check=True)
    sh(["sqlite3", os.path.join(root, "db"), "create table t(a); insert into t values (1),(2);"], check=True)
    open(os.path.join(root, "p.json"), "w").write('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}')
    sh("find %s -exec touch -h -d 2020-01-01T00:00:00Z {} +" % root, check=True)

PY = "/usr/bin/python3"
# name: (train, [tests]); a test given as ("rc", argv) is compared on its
# exit status only (its output is random by design).
CORPUS = {
    "cp": (["cp", "f1", "f3"], [["cp", "-a", "d1", "d2"], ["cp", "-r", "--preserve=all", "d1", "d3"], ["cp", "-s", "f1", "lnk2"], ["cp", "-l", "f1", "hard"]]),
    "mv": (["mv", "f1", "f3"], [["mv", "d1", "d4"], ["mv", "-b", "f1", "f2"], ["mv", "-t", "out", "f1", "f2"]]),
    "ls": (["ls"], [["ls", "-la"], ["ls", "-lR", "d1"], ["ls", "--color=always", "-l", "d1"], ["ls", "-s", "-S"]]),
    "sed": (["sed", "s/a/b/", "f1"], [["sed", "-i", "s/a/b/", "f1"], ["sed", "-n", "2p", "f1"], ["sed", "-E", "s/(a+)/<\\1>/g", "f1"], ["sed", "-s", "-n", "$p", "f1", "f2"]]),
    "find": (["find", ".", "-name", "g"], [["find", ".", "-delete"], ["find", ".", "-type", "f", "-newer", "f1"], ["find", ".", "-name", "x", "-exec", "cat", "{}", "+"], ["find", ".", "-printf", "%s %p\\n"]]),
    "grep": (["grep", "a", "f1"], [["grep", "-r", "a", "."], ["grep", "-c", "a", "f1"], ["grep", "-P", "a+n", "f1"], ["grep", "-l", "-Z", "-r", "y", "d1"]]),
    "sort": (["sort", "f1"], [["sort", "-o", "out/s", "f1"], ["sort", "--parallel=2", "-S", "1M", "-n", "big"], ["sort", "-u", "-r", "f1", "f2"]]),
    "rm": (["rm", "f1"], [["rm", "-r", "d1"], ["rm", "-f", "nonexistent", "f2"], ["rm", "-d", "out"]]),
    "tar": (["tar", "cf", "a.tar", "d1"], [["tar", "czf", "a.tgz", "d1"], ["tar", "tvf", "t.tar"], ["tar", "xf", "t.tar", "-C", "out"], ["tar", "cJf", "a.txz", "f1"]]),
    "gzip": (["gzip", "-k", "f1"], [["gzip", "-d", "-k", "z.gz"], ["gzip", "-c", "-9", "big"], ["gzip", "-t", "z.gz"], ["gzip", "-r", "d1"]]),
    "xz": (["xz", "-k", "f1"], [["xz", "-d", "-k", "z.xz"], ["xz", "-T2", "-k", "big"], ["xz", "-l", "z.xz"], ["xz", "-c", "--format=lzma", "f2"]]),
    "bash": (["bash", "-c", "echo hi"], [["bash", "-c", "for i in 1 2; do echo $i; done | cat"], ["bash", "-c", "read x < f1; echo $x > out/r; cat out/r"], ["bash", "-c", "(sleep 0.1 &); wait; ulimit -n; trap 'echo t' USR1; kill -USR1 $$"], ["bash", "-c", "cd d1 && pwd && echo *"]]),
    "dash": (["dash", "-c", "echo hi"], [["dash", "-c", "for i in 1 2; do echo $i; done | cat"], ["dash", "-c", "read x < f1; echo $x > out/r; cat out/r"], ["dash", "-c", "trap 'echo t' USR1; kill -USR1 $$; ulimit -n"], ["dash", "-c", "cd d1 && pwd && echo *"]]),
    "python3": ([PY, "-c", "print(1)"], [[PY, "-c", "import json; print(json.dumps({'a': sorted(__import__('os').listdir('.'))}))"], [PY, "-c", "import socket; a, b = socket.socketpair(); a.send(b'x'); print(b.recv(1))"], [PY, "-c", "import subprocess; print(subprocess.run(['true']).returncode)"], [PY, "-c", "import hashlib, zlib, threading; t = threading.Thread(target=print, args=(hashlib.sha256(zlib.compress(b'x')).hexdigest(),)); t.start(); t.join()"]]),
    "perl": (["perl", "-e", "print 1"], [["perl", "-ne", "print if /a/", "f1"], ["perl", "-MPOSIX", "-e", "print floor(2.5), qq(\\n)"], ["perl", "-e", "opendir D, q(.); print join(q( ), sort readdir D)"], ["perl", "-e", "use Socket; socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, 0) or die; print qq(ok\\n); print `true`"]]),
    "node": (["node", "-e", "console.log(1)"], [["node", "-e", "console.log(require('fs').readdirSync('.').sort().join(' '))"], ["node", "-e", "console.log(require('child_process').execFileSync('true').length)"], ["node", "-e", "console.log(require('zlib').gzipSync('x').length)"], ["node", "-e", "const s=require('net').createServer(c=>c.end('hi')).listen(0,'127.0.0.1',()=>{require('net').connect(s.address().port,'127.0.0.1').on('data',d=>{console.log(String(d));process.exit(0)})})"]]),
    "git": (["git", "-C", "repo", "log", "--oneline"], [["git", "-C", "repo", "status", "--short"], ["git", "-C", "repo", "commit", "-q", "--allow-empty", "-m", "second"], ["git", "-C", "repo", "gc", "-q"], ["git", "init", "-q", "newrepo"]]),
    "curl": (["curl", "-sS", "file:///proc/self/status", "-o", "/dev/null"], [["curl", "-sS", "-o", "out/c", "file:///etc/hostname"], ["curl", "-V"], ["curl", "-sS", "-I", "file:///etc/hostname"]]),
    "sqlite3": (["sqlite3", ":memory:", "select 1"], [["sqlite3", "db", "insert into t values (3); select * from t;"], ["sqlite3", "-json", ":memory:", "select 1 as a"], ["sqlite3", "db", "vacuum"], ["sqlite3", "new.db", "create table u(b); pragma journal_mode=wal; insert into u values (1);"]]),
    "openssl": (["openssl", "version"], [["openssl", "dgst", "-sha256", "f1"], ("rc", ["openssl", "rand", "-hex", "4"]), ["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-pass", "pass:x", "-S", "0102030405060708", "-in", "f1", "-out", "f1.enc"], ("rc", ["openssl", "genpkey", "-algorithm", "ed25519", "-out", "k.pem"])]),
    "busybox": (["busybox", "ls"], [["busybox", "cp", "-a", "d1", "d2"], ["busybox", "sed", "-i", "s/a/b/", "f1"], ["busybox", "find", ".", "-type", "f"], ["busybox", "tar", "cf", "x.tar", "d1"], ["busybox", "sh", "-c", "echo $((1+2)) | busybox wc -c"]]),
    "sysfence (Go)": ([SYSFENCE, "syscalls", "read"], [[SYSFENCE, "syscalls", "--arch", "all", "openat"], [SYSFENCE, "compile", "p.json", "-o", "out/p.bpf"], [SYSFENCE, "check", "p.json", "write"], [SYSFENCE, "disasm", "p.json"]]),
}
if STATICPROG:
    CORPUS["static C (gcc -static)"] = ([STATICPROG, "cat", "f1"], [[STATICPROG, "mkdir", "newdir"], [STATICPROG, "pipe"], [STATICPROG, "thread"], [STATICPROG, "list", "d1"]])

def tree_hash(d):
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(d)):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(root, n)
            rel = os.path.relpath(p, d)
            h.update(rel.encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p) and not rel.startswith(("repo/.git/", "newrepo/.git/")):
                h.update(open(p, "rb").read())
    return h.hexdigest()

def fresh(template, work):
    """A fresh copy of the fixture, always at the same path: what the
    inputs print (pwd, paths) must not depend on the copy."""
    fx = os.path.join(work, "fx")
    shutil.rmtree(fx, ignore_errors=True)
    sh(["cp", "-a", template, fx], check=True)
    return fx

def run(argv, cwd, prefix=(), timeout=120):
    try:
        p = subprocess.run(list(prefix) + argv, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -999, b"", b"timeout"

def names(profile_path):
    p = json.load(open(profile_path))
    out = set()
    for s in p.get("syscalls") or []:
        if s.get("action") == "SCMP_ACT_ALLOW":
            out.update(s.get("names") or [])
    return out

EXECVE_RE = re.compile(r'^\d+\s+execve\("([^"]+)"')
CALL_RE = re.compile(r'^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)')

def strace(argv, template, work):
    fx = fresh(template, work)
    out = os.path.join(work, "strace.txt")
    run(argv, fx, prefix=["strace", "-f", "-qq", "-o", out])
    calls, progs = set(), []
    for line in open(out, errors="replace"):
        m = CALL_RE.match(line)
        if m:
            calls.add(m.group(1))
        m = EXECVE_RE.match(line)
        if m:
            p = m.group(1)
            if not os.path.isabs(p):
                p = os.path.join(fx, p)
            if os.path.isfile(p) and os.access(p, os.X_OK) and p not in progs:
                progs.append(os.path.realpath(p))
    return calls, progs

def docker_default_allowed():
    """How many syscalls Docker's default lets through on x86_64, wholly or
    for some arguments, with Docker's default capabilities: sysfence's
    resolution for this machine, as `sysfence explain` gives it."""
    r = subprocess.run([SYSFENCE, "explain", "--json", "--arch", "x86_64", "docker-default"], env=ENV, stdout=subprocess.PIPE, check=True)
    d = json.loads(r.stdout)
    i = [a["name"] for a in d["abis"]].index("x86_64")
    return sum(1 for c in d["calls"] if c["status"][i] in ("allowed", "partly"))

def analyze(progs, cwd):
    r = subprocess.run([SYSFENCE, "analyze", "-q", "--json"] + progs, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit("analyze %s: %s" % (progs, r.stderr.decode()))
    res = json.loads(r.stdout)
    return {s["Name"] for s in res["Syscalls"] if s["Name"]}, res.get("Findings") or []

def main():
    only = None
    if len(sys.argv) > 2 and sys.argv[1] == "-k":
        only = sys.argv[2]
    work = tempfile.mkdtemp(prefix="bench-static-")
    template = os.path.join(work, "template")
    make_template(template)
    rows, misses = [], []
    allpass_dyn = allpass_static = 0
    ntests = 0
    for name, (train, tests) in CORPUS.items():
        if only and only not in name:
            continue
        prog = shutil.which(train[0], path=ENV["PATH"]) or train[0]
        fx = fresh(template, work)
        dyn = os.path.join(work, "dyn.json"); st = os.path.join(work, "static.json"); an = os.path.join(work, "an.json")
        r1 = run([SYSFENCE, "record", "-q", "-o", dyn, "--"] + train, fx)
        fx = fresh(template, work)
        r2 = run([SYSFENCE, "record", "-q", "--static", "-o", st, "--"] + train, fx)
        for r, what in ((r1, "record"), (r2, "record --static")):
            if r[0] != 0:
                print("%s: %s of the train input failed: %s" % (name, what, r[2].decode()[-500:]), file=sys.stderr)
        run([SYSFENCE, "analyze", "-q", "-o", an, prog], work)
        nd, ns, na = len(names(dyn)), len(names(st)), len(names(an))
        pd = ps = 0
        failed_dyn, failed_static = [], []
        sound_miss = set()
        inputs = [("train", train)] + [("test", t) for t in tests]
        for kind, t in inputs:
            rc_only = isinstance(t, tuple)
            argv = t[1] if rc_only else t
            calls, progs = strace(argv, template, work)
            static_names, _ = analyze(progs or [prog], work)
            miss = calls - static_names
            if miss:
                sound_miss |= miss
                misses.append((name, " ".join(argv), sorted(miss), progs))
            if kind == "train":
                continue
            ntests += 1
            ref = None
            results = []
            for prof in (None, dyn, st):
                fx = fresh(template, work)
                prefix = [] if prof is None else [SYSFENCE, "run", "-p", prof, "--"]
                rc, out, err = run(argv, fx, prefix=prefix)
                got = (rc,) if rc_only else (rc, out, tree_hash(fx))
                if prof is None:
                    ref = got
                else:
                    results.append(got == ref)
            pd += results[0]; ps += results[1]
            if not results[0]:
                failed_dyn.append(" ".join(argv))
            if not results[1]:
                failed_static.append(" ".join(argv))
        allpass_dyn += pd == len(tests); allpass_static += ps == len(tests)
        rows.append(dict(name=name, tests=len(tests), pd=pd, ps=ps, nd=nd, ns=ns, na=na, miss=sorted(sound_miss), fd=failed_dyn, fs=failed_static))
        print("%-24s dyn %d/%d (%d)  static %d/%d (%d)  analyze %d  misses %s" % (name, pd, len(tests), nd, ps, len(tests), ns, na, sorted(sound_miss) or "-"), file=sys.stderr)

    print("| program | test inputs | pass: recorded | pass: --static | allowed: recorded | allowed: --static | analyze alone | analyze misses |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %d | %d | %d | %d | %s |" % (r["name"], r["tests"], r["pd"], r["ps"], r["nd"], r["ns"], r["na"], ", ".join(r["miss"]) or "none"))
    med = lambda k: statistics.median(r[k] for r in rows)
    mean = lambda k: statistics.mean(r[k] for r in rows)
    print()
    print("%d programs, %d test inputs. Test inputs passing: recorded profile %d, --static %d. Programs passing every test: recorded %d, --static %d." %
          (len(rows), ntests, sum(r["pd"] for r in rows), sum(r["ps"] for r in rows), allpass_dyn, allpass_static))
    print("Allowed syscalls, median (mean): recorded %g (%.1f), --static %g (%.1f), analyze alone %g (%.1f); Docker's default %d." %
          (med("nd"), mean("nd"), med("ns"), mean("ns"), med("na"), mean("na"), docker_default_allowed()))
    for r in rows:
        for t in r["fd"]:
            print("recorded profile fails: %s: %s" % (r["name"], t))
        for t in r["fs"]:
            print("--static profile FAILS: %s: %s" % (r["name"], t))
    for name, argv, miss, progs in misses:
        print("analyze missed %s in `%s` (programs %s)" % (", ".join(miss), argv, " ".join(progs)))
    shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""test_style.py - `make check`'s run of check-style.py, in TAP.

Test 1 is the real tree: every rule holds (with t/style/*.allow).  The
others copy the tree's sources to a temporary directory, plant one
violation of one rule and check that check-style.py fails on it and names
it: a checker that passes everything would pass test 1 too.
Standard library only (Debian's /usr/bin/python3).
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(HERE, 'check-style.py')


def run(root):
    p = subprocess.run([sys.executable, CHECK, root], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    return p.returncode, p.stdout


def copy_tree(dst):
    for d in ('lib', 'cgi-bin', 'bin', os.path.join('t', 'style'),
              os.path.join('t', 'unit'), os.path.join('t', 'integration'),
              os.path.join('t', 'fuzz')):
        src = os.path.join(ROOT, d)
        shutil.copytree(src, os.path.join(dst, d), ignore=sources_only)


# Only what the checker reads: `make -j check` runs this beside the other
# tests, whose logs, result files and binaries come and go meanwhile.
KEEP = ('.c', '.h', '.py', '.allow')


def sources_only(path, names):
    return [n for n in names
            if not os.path.isdir(os.path.join(path, n)) and not n.endswith(KEEP)
            or n in ('.deps', 'tmp')]


def append(root, rel, text):
    with open(os.path.join(root, rel), 'a') as fh:
        fh.write(text)


# (name, file to append to, text, rule expected in the output)
PLANTS = [
    ('base including a higher layer fails', 'lib/base/buf.c',
     '\n#include "web/app.h"\n', 'include: lib/base/buf.c'),
    ('store including slack fails (not the allowlisted worker.c)',
     'lib/store/db.c', '\n#include "slack/slackapi.h"\n',
     'include: lib/store/db.c'),
    ('a folderless include in lib/ fails', 'lib/slack/render.c',
     '\n#include "buf.h"\n', 'names no folder'),
    ('an exported function with a foreign prefix fails', 'lib/base/buf.c',
     '\nint\nhub_json_planted(void)\n{\n\treturn 0;\n}\n',
     'prefix: lib/base/buf.c'),
    ('an exported function missing from the header fails', 'lib/base/buf.c',
     '\nint\nhub_buf_planted(void)\n{\n\treturn 0;\n}\n',
     'not declared in lib/base/buf.h'),
    ('a bare 256-byte buffer fails', 'lib/base/check.c',
     '\nstatic void\nplanted(void)\n{\n\tchar big[256];\n\t(void)big;\n}\n',
     'bufsize: lib/base/check.c'),
    ('one more bare buffer than allowed fails', 'lib/approval/groups.c',
     '\nstatic void\nplanted(void)\n{\n\tchar big[512];\n\t(void)big;\n}\n',
     'bufsize.allow allows'),
    ('sprintf fails', 'cgi-bin/api.c',
     '\nstatic void\nplanted(char *b)\n{\n\tsprintf(b, "%d", 1);\n}\n',
     'banned: cgi-bin/api.c'),
    ('atoi fails', 'lib/store/jobs.c',
     '\nstatic int\nplanted(const char *s)\n{\n\treturn atoi(s);\n}\n',
     'atoi()'),
    ('a function over 120 lines fails', 'lib/base/buf.c',
     '\n/* long on purpose */\nstatic int\nplanted(int x)\n{\n'
     + '\tx++;\n' * 125 + '\treturn x;\n}\n', 'planted is 129 lines'),
    ('a lib prototype copied into a test fails', 't/unit/test_conf.c',
     '\nint conf_parse_line(const char *, size_t, char **, char **);\n',
     'testdecl: t/unit/test_conf.c'),
    ('an extern of a lib variable in a test fails', 't/unit/test_intake.c',
     '\nextern time_t intake_now;\n', 'intake_now is declared here'),
    ('a function over 60 lines without a comment fails', 'lib/base/buf.c',
     '\nstatic int\nplanted(int x)\n{\n' + '\tx++;\n' * 65
     + '\treturn x;\n}\n', 'no comment above'),
]


def main():
    print('1..%d' % (2 + len(PLANTS)))
    rc, out = run(ROOT)
    print('%s 1 - the tree keeps every style rule'
          % ('ok' if rc == 0 else 'not ok'))
    if rc:
        for line in out.splitlines():
            print('# ' + line)
    failed = rc != 0

    # A function over 60 lines with a comment above it passes: the rule
    # asks for a reason, it does not forbid the function.
    tmp = tempfile.mkdtemp(prefix='hub-style-')
    try:
        copy_tree(tmp)
        append(tmp, 'lib/base/buf.c', '\n/* why: planted */\nstatic int\n'
               'planted(int x)\n{\n' + '\tx++;\n' * 65 + '\treturn x;\n}\n')
        rc, out = run(tmp)
        ok = rc == 0
        print('%s 2 - a long function with its reason above passes'
              % ('ok' if ok else 'not ok'))
        if not ok:
            failed = True
            for line in out.splitlines():
                print('# ' + line)
    finally:
        shutil.rmtree(tmp)

    for n, (name, rel, text, expect) in enumerate(PLANTS, 3):
        tmp = tempfile.mkdtemp(prefix='hub-style-')
        try:
            copy_tree(tmp)
            append(tmp, rel, text)
            rc, out = run(tmp)
        finally:
            shutil.rmtree(tmp)
        ok = rc != 0 and expect in out
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
        if not ok:
            failed = True
            print('# exit %d, expected "%s" in:' % (rc, expect))
            for line in out.splitlines():
                print('# ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

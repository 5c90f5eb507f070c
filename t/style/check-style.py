#!/usr/bin/python3
"""check-style.py [--tap] [ROOT] - the layout and C rules the build enforces.

Run by `make check-style` and, as t/style/test_style.py, by `make check`.
Standard library only: it runs with Debian's /usr/bin/python3 on a machine
that has nothing but what ./bootstrap needs.  It reads the C sources of
ROOT (default: the tree this file sits in) and checks five rules; each is
one TAP test with --tap, one block of "file:line: rule: message" lines
without.  Exit status 0 when every rule holds, 1 otherwise.

  include    A lib/ folder includes only folders left of it:
             base < store < approval < slack < notify < web < programs
             (cgi-bin/, bin/).  Read from the `#include "folder/x.h"` lines;
             a quoted include in lib/ always names its folder.
  prefix     Every non-static function a lib module defines is named
             hub_<prefix>_... (or hub_<prefix>) where <prefix> is the module's
             name or one of the prefixes PREFIXES below gives it, and is
             declared in the module's own header.  Job handlers are named
             hub_job_<kind> wherever they live: the worker's kind table
             reads them by that name.
  bufsize    A char buffer sized by a bare number larger than 64 must use a
             named constant (`char id[HUB_UUID_LEN + 1]`, `char b[sizeof x]`).
             Sizes up to 64 are small scratch buffers and may stay literal.
  banned     No strcpy sprintf vsprintf strcat atoi atol strtok sscanf gets.
  funclen    No function longer than 120 lines; one longer than 60 lines has
             a comment right above it saying why.
  testdecl   Tests never copy a lib prototype: a HUB_STATIC function a test
             calls is declared once, in its module's header under
             #ifdef HUB_UNITTEST (lib/base/common.h).

Allowlists in t/style/ hold what today's code still breaks; each says why
and who empties it.  A listed file or function may only get better: a
violation not on its list fails.
  include.allow  "file folder/x.h" - temporary, the worker cycle (h9a).
  bufsize.allow  "file count" - literal-sized buffers left per file; more
                 than the count fails, fewer prints a note to lower it.
  funclen.allow  "file function lines" - functions still to split.
"""
import os
import re
import sys

LAYERS = ['base', 'store', 'approval', 'slack', 'notify', 'web']
PROGRAM_DIRS = ['cgi-bin', 'bin']

# Module -> extra exported prefixes, each with its reason.  The module's own
# name is always allowed.
PREFIXES = {
    'admin': ['apikey'],            # API key hashing is the admin key store's
    'groups': ['deleg'],            # delegations are kept beside groups
    'sourceadmin': ['srcadm'],      # short name used by cgi-bin/api.c
    'connadmin': ['connadm'],       # short name used by cgi-bin/api.c
    'check': ['problem', 'hexval'],  # hub_problem: the {"error","field"}
                                     # pair; hub_hexval: the one hex digit
    'crypto': ['hmac', 'sha256', 'ct', 'random', 'hex', 'base64', 'derive',
               'keyring', 'box', 'password'],  # the primitives' usual names
    'form': ['url'],                # URL encoding is the form codec's
    'tmpl': ['html'],               # the templates' HTML escaper
    'notifications': ['notif'],
    'blockkit': ['bk', 'mrkdwn'],   # builders and the mrkdwn writers
    'bkvalid': ['bk'],              # the Block Kit validator
    'connections': ['conn', 'slack'],  # hub_slack_lookup_email, cache
    'modals': ['modal'],
    'homeview': ['home'],           # split out of home.c (issue 9): the
    'homepub': ['home'],            # Home tab's API stays hub_home_*
    'slackapi': ['slack'],          # the Web API client is hub_slack_*
    'slackscopes': ['slack'],
    'slacksig': ['sig'],
    'actions': ['action'],          # hub_action_value*: the button value codec
    'jobs': ['job'],
    'fcgi': ['method', 'status', 'req', 'resp', 'route', 'io'],
}
JOB_PREFIX = 'hub_job_'

BUF_LIMIT = 64
FUNC_MAX = 120
FUNC_COMMENT = 60
BANNED = ['strcpy', 'sprintf', 'vsprintf', 'strcat', 'atoi', 'atol',
          'strtok', 'sscanf', 'gets']

INCLUDE_RE = re.compile(r'\s*#\s*include\s+"([^"]+)"')
BUF_RE = re.compile(r'\bchar\s+(\w+)\s*\[\s*(\d+)\s*\]')
BANNED_RE = re.compile(r'(?<![\w.>])(' + '|'.join(BANNED) + r')\s*\(')
DEF_RE = re.compile(r'([A-Za-z_]\w*)\(')


def strip_comments_and_strings(text):
    """Blank out comments and string/char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def sources(root):
    """(relative path, folder) of every C file the rules cover."""
    res = []
    for layer in LAYERS:
        d = os.path.join(root, 'lib', layer)
        if os.path.isdir(d):
            for f in sorted(os.listdir(d)):
                if f.endswith(('.c', '.h')):
                    res.append(('lib/%s/%s' % (layer, f), layer))
    for p in PROGRAM_DIRS:
        d = os.path.join(root, p)
        if os.path.isdir(d):
            for f in sorted(os.listdir(d)):
                if f.endswith(('.c', '.h')):
                    res.append(('%s/%s' % (p, f), p))
    return res


def functions(lines):
    """Yield (name, first line index, last line index, is_static) of each
    function definition written in the tree's style: the name at column 0,
    the return type on the line above, `{` and `}` at column 0."""
    i = 0
    while i < len(lines):
        m = DEF_RE.match(lines[i])
        if m and i > 0 and not m.group(1).isupper():
            j = i
            while j < len(lines) and not lines[j].startswith('{') \
                    and not lines[j].rstrip().endswith(';'):
                j += 1
            if j < len(lines) and lines[j].startswith('{'):
                k = j + 1
                while k < len(lines) and not lines[k].startswith('}'):
                    k += 1
                prev = lines[i - 1]
                static = bool(re.search(r'\b(static|HUB_STATIC)\b', prev))
                yield m.group(1), i, k, static
                i = k
        i += 1


def read_allow(path, fields):
    """Rows of an allowlist: whitespace-separated fields, # comments."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != fields:
                rows.append(('BAD', n, line))
            else:
                rows.append(tuple(parts))
    return rows


PROTO_RE = re.compile(r'(?:extern\s+)?[A-Za-z_][\w\s\*]*?[\s\*](\w+)\s*\([^;{]*\)\s*;')
EXTERN_RE = re.compile(r'extern\s+[\w\s\*]+?[\s\*](\w+)\s*;')


def check_tests(root, lib_names, out):
    """Prototypes (or extern variables) of lib functions copied into t/."""
    for sub in ('unit', 'integration', 'fuzz'):
        d = os.path.join(root, 't', sub)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith('.c'):
                continue
            rel = 't/%s/%s' % (sub, f)
            with open(os.path.join(d, f), errors='replace') as fh:
                code = strip_comments_and_strings(fh.read())
            for n, line in enumerate(code.split('\n'), 1):
                if line[:1].isspace() or line.startswith(('static', '#')):
                    continue
                m = PROTO_RE.match(line) or EXTERN_RE.match(line)
                if m and m.group(1) in lib_names:
                    out.append('%s:%d: %s is declared here; declare it in its '
                               'module\'s header under HUB_UNITTEST'
                               % (rel, n, m.group(1)))


def check(root, allow_dir):
    problems = {k: [] for k in ('include', 'prefix', 'bufsize', 'banned',
                                'funclen', 'testdecl')}
    lib_names = set()
    notes = []
    inc_allow = set(tuple(r) for r in read_allow(
        os.path.join(allow_dir, 'include.allow'), 2))
    buf_allow = {r[0]: int(r[1]) for r in read_allow(
        os.path.join(allow_dir, 'bufsize.allow'), 2) if r[0] != 'BAD'}
    fn_allow = {(r[0], r[1]): int(r[2]) for r in read_allow(
        os.path.join(allow_dir, 'funclen.allow'), 3) if r[0] != 'BAD'}
    buf_count = {}
    seen_fn = set()

    for rel, folder in sources(root):
        with open(os.path.join(root, rel), errors='replace') as fh:
            raw = fh.read()
        raw_lines = raw.split('\n')
        code = strip_comments_and_strings(raw)
        lines = code.split('\n')

        # include direction
        for n, line in enumerate(raw_lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = m.group(1)
            tfolder = target.split('/', 1)[0] if '/' in target else None
            if folder in LAYERS:
                if tfolder is None:
                    if not target.startswith('embed_'):
                        problems['include'].append(
                            '%s:%d: include "%s" names no folder'
                            % (rel, n, target))
                    continue
                if tfolder in LAYERS and \
                        LAYERS.index(tfolder) > LAYERS.index(folder) and \
                        (rel, target) not in inc_allow:
                    problems['include'].append(
                        '%s:%d: %s/ may not include %s (%s is right of %s)'
                        % (rel, n, folder, target, tfolder, folder))

        # banned calls
        for n, line in enumerate(lines, 1):
            for m in BANNED_RE.finditer(line):
                problems['banned'].append('%s:%d: %s()' % (rel, n,
                                                           m.group(1)))

        # bare-number buffer sizes
        cnt = 0
        hits = []
        for n, line in enumerate(lines, 1):
            for m in BUF_RE.finditer(line):
                if int(m.group(2)) > BUF_LIMIT:
                    cnt += 1
                    hits.append('%s:%d: char %s[%s]' % (rel, n, m.group(1),
                                                        m.group(2)))
        if cnt:
            buf_count[rel] = cnt
        allowed = buf_allow.get(rel, 0)
        if cnt > allowed:
            problems['bufsize'].extend(
                h + ': literal size > %d, name the constant' % BUF_LIMIT
                for h in hits)
            if allowed:
                problems['bufsize'].append(
                    '%s: %d literal-sized buffers, bufsize.allow allows %d'
                    % (rel, cnt, allowed))
        elif cnt < allowed:
            notes.append('bufsize.allow: %s has %d, lower its count from %d'
                         % (rel, cnt, allowed))

        if not rel.endswith('.c'):
            continue

        # functions: prefix and length
        module = os.path.basename(rel)[:-2]
        header = os.path.join(root, rel[:-2] + '.h')
        hdr = ''
        if os.path.exists(header):
            with open(header, errors='replace') as fh:
                hdr = strip_comments_and_strings(fh.read())
        prefixes = [module] + PREFIXES.get(module, [])
        # test-visible variables (HUB_STATIC time_t intake_now = 0;)
        for m in re.finditer(r'^HUB_STATIC\s[\w\s\*]*?(\w+)\s*(?:=|;)', code,
                             re.M):
            lib_names.add(m.group(1))
        for name, first, last, static in functions(lines):
            lib_names.add(name)
            length = last - first + 1
            key = (rel, name)
            seen_fn.add(key)
            if folder in LAYERS and not static:
                ok = name.startswith(JOB_PREFIX) or any(
                    name == 'hub_' + p or name.startswith('hub_' + p + '_')
                    for p in prefixes)
                if not ok:
                    problems['prefix'].append(
                        '%s:%d: %s: exported name not hub_<%s>_...'
                        % (rel, first + 1, name, '|'.join(prefixes)))
                elif not re.search(r'\b%s\s*\(' % re.escape(name), hdr):
                    problems['prefix'].append(
                        '%s:%d: %s is exported but not declared in %s'
                        % (rel, first + 1, name, rel[:-2] + '.h'))
            if key in fn_allow:
                if length != fn_allow[key]:
                    notes.append('funclen.allow: %s %s is now %d lines '
                                 '(listed %d)' % (rel, name, length,
                                                  fn_allow[key]))
                continue
            if length > FUNC_MAX:
                problems['funclen'].append(
                    '%s:%d: %s is %d lines (max %d): split it'
                    % (rel, first + 1, name, length, FUNC_MAX))
            elif length > FUNC_COMMENT:
                t = first - 1
                # skip the return-type line(s) to the line above them
                while t >= 0 and raw_lines[t].strip() and \
                        not raw_lines[t].rstrip().endswith(('*/', ';', '}')):
                    t -= 1
                above = raw_lines[t].rstrip() if t >= 0 else ''
                if not above.endswith('*/') and \
                        not above.lstrip().startswith('//'):
                    problems['funclen'].append(
                        '%s:%d: %s is %d lines (over %d) with no comment '
                        'above it saying why' % (rel, first + 1, name,
                                                 length, FUNC_COMMENT))

    check_tests(root, lib_names, problems['testdecl'])
    for key in fn_allow:
        if key not in seen_fn:
            notes.append('funclen.allow: %s %s is gone, drop its line' % key)
    for rel in buf_allow:
        if rel not in buf_count:
            notes.append('bufsize.allow: %s has none left, drop its line'
                         % rel)
    return problems, notes


def main(argv):
    tap = '--tap' in argv
    args = [a for a in argv if not a.startswith('--')]
    here = os.path.dirname(os.path.abspath(__file__))
    root = args[0] if args else os.path.dirname(os.path.dirname(here))
    allow_dir = os.path.join(root, 't', 'style')
    problems, notes = check(root, allow_dir)
    failed = 0
    if tap:
        print('1..%d' % len(problems))
    for i, (rule, lst) in enumerate(problems.items(), 1):
        if tap:
            print('%s %d - %s' % ('not ok' if lst else 'ok', i, rule))
            for p in lst:
                print('# ' + p)
        else:
            for p in lst:
                print('%s: %s' % (rule, p))
        failed += bool(lst)
    for n in notes:
        print(('# note: ' if tap else 'note: ') + n)
    if not tap:
        print('check-style: %s' % ('%d rule(s) broken' % failed if failed
                                   else 'all rules hold'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

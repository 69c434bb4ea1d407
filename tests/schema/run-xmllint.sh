#!/bin/bash
# Checks the configuration schema with stock xmllint (libxml2), the engine
# mgd validates with.  usage: run-xmllint.sh SRCDIR
#
#   - schema/configuration.xsd compiles with no message at all (libxml2
#     reports non-deterministic content models only as warnings);
#   - schema/groups.xsd is what schema/gen-groups.py generates (not stale);
#   - the schema files follow the dialect of docs/schema.md (check-dialect.py);
#   - tests/schema/valid/*.xml and tests/golden/*/config.xml validate;
#   - tests/schema/invalid/*.xml fail validation (exit status 3, not a
#     parse error), with the text of their "<!-- expect: TEXT -->" comment
#     in xmllint's messages;
#   - every line TYPE<TAB>VALUE<TAB>valid|invalid of tests/schema/values.tsv
#     gets that verdict from xmllint for an element of simple type TYPE.
#
# Prints one line per case and ends with "N passed, M failed"; exits
# non-zero if any case failed.

set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 SRCDIR" >&2
    exit 2
fi
src=$(cd "$1" && pwd) || exit 2
schema="$src/schema/configuration.xsd"
here="$src/tests/schema"

command -v xmllint >/dev/null || { echo "xmllint not found (apt-get install libxml2-utils)" >&2; exit 2; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# --- the schema compiles silently ---------------------------------------
echo '<configuration/>' > "$tmp/empty.xml"
out=$(xmllint --noout --schema "$schema" "$tmp/empty.xml" 2>&1)
if [ "$out" = "$tmp/empty.xml validates" ]; then
    pass "schema/configuration.xsd compiles without warnings"
else
    fail "schema/configuration.xsd compiles without warnings: $(echo "$out" | head -n 3 | tr '\n' ' ')"
fi

# --- groups.xsd is up to date --------------------------------------------
if out=$(python3 "$src/schema/gen-groups.py" --check "$src/schema" 2>&1); then
    pass "schema/groups.xsd is up to date"
else
    fail "schema/groups.xsd is up to date: $out"
fi

# --- the files follow the dialect of docs/schema.md ------------------------
xsds=$(sed -n 's/.*<xs:include schemaLocation="\([^"]*\)".*/\1/p' "$schema" | sed "s|^|$src/schema/|")
if out=$(cd "$src/schema" && python3 "$here/check-dialect.py" "$schema" $xsds 2>&1); then
    pass "schema files follow the dialect of docs/schema.md"
else
    fail "schema files follow the dialect of docs/schema.md: $(echo "$out" | head -n 5 | tr '\n' ';')"
fi

# --- documents -------------------------------------------------------------
for f in "$here"/valid/*.xml "$src"/tests/golden/*/config.xml; do
    [ -e "$f" ] || continue
    rel=${f#"$src"/}
    out=$(xmllint --noout --schema "$schema" "$f" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        pass "$rel validates"
    else
        fail "$rel validates: $(echo "$out" | head -n 1)"
    fi
done

for f in "$here"/invalid/*.xml; do
    [ -e "$f" ] || continue
    rel=${f#"$src"/}
    expect=$(sed -n 's/^<!-- expect: \(.*\) -->$/\1/p' "$f" | head -n 1)
    out=$(xmllint --noout --schema "$schema" "$f" 2>&1)
    rc=$?
    if [ $rc -ne 3 ]; then
        fail "$rel fails to validate: xmllint exit status $rc: $(echo "$out" | head -n 1)"
    elif [ -n "$expect" ] && ! grep -qF -- "$expect" <<<"$out"; then
        fail "$rel fails to validate: message lacks '$expect': $(echo "$out" | head -n 1)"
    else
        pass "$rel fails to validate"
    fi
done

# --- values.tsv ---------------------------------------------------------------
# One probe schema declares an element v-TYPE for each type named in the
# file; each line becomes a document <v-TYPE>VALUE</v-TYPE>, all checked
# by one xmllint run.
tsv="$here/values.tsv"
if [ -f "$tsv" ]; then
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        echo "  <xs:include schemaLocation=\"$schema\"/>"
        cut -f 1 "$tsv" | sort -u | sed 's/.*/  <xs:element name="v-&" type="&"\/>/'
        echo '</xs:schema>'
    } > "$tmp/probe.xsd"
    mkdir "$tmp/v"
    awk -F '\t' -v dir="$tmp/v" '
        NF != 3 || ($3 != "valid" && $3 != "invalid") {
            printf "bad line %d: %s\n", NR, $0 > "/dev/stderr"; bad = 1; next
        }
        {
            v = $2
            gsub(/&/, "\\&amp;", v); gsub(/</, "\\&lt;", v); gsub(/>/, "\\&gt;", v)
            printf "<v-%s>%s</v-%s>\n", $1, v, $1 > (dir "/" NR ".xml")
            close(dir "/" NR ".xml")
        }
        END { exit bad }' "$tsv" || fail "values.tsv is well formed"
    # One run of xmllint for all lines: it reports "FILE validates" or
    # "FILE fails to validate" for each file.
    ls "$tmp/v" | sort -n | sed "s|^|$tmp/v/|" > "$tmp/files"
    xargs xmllint --noout --schema "$tmp/probe.xsd" < "$tmp/files" > /dev/null 2> "$tmp/verdicts"
    if grep -q 'failed to compile' "$tmp/verdicts"; then
        fail "values.tsv probe schema compiles: $(grep -v '^/' "$tmp/verdicts" | head -n 3 | tr '\n' ' ')"
    fi
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        type=${line%%$'\t'*}
        rest=${line#*$'\t'}
        value=${rest%$'\t'*}
        want=${rest##*$'\t'}
        f="$tmp/v/$n.xml"
        if grep -qxF "$f validates" "$tmp/verdicts"; then
            got=valid
        elif grep -qxF "$f fails to validate" "$tmp/verdicts"; then
            got=invalid
        else
            got=error
        fi
        if [ "$got" = "$want" ]; then
            pass "values.tsv:$n $type '$value' $want"
        else
            fail "values.tsv:$n $type '$value' $want: xmllint says $got"
        fi
    done < "$tsv"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

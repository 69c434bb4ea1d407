#!/bin/sh
# Golden tests of the renderings.  For every folder tests/golden/NAME/ with
# config.conf (brace text) and any of config.set, config.xml, config.json,
# each written by hand from Junos layouts (reference/junos.md 5.9-5.11):
#   - every file loads, and renders to every other file byte for byte;
#   - expanded.conf, if present: the configuration with its groups applied;
#   - inherit.conf, if present: "| display inheritance".
#   run-golden.sh CONFTOOL SRCDIR
set -u
tool=$1
src=$2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # name expected actual
    if cmp -s "$2" "$3"; then
        pass=$((pass + 1)); echo "ok   $1"
    else
        fail=$((fail + 1)); echo "FAIL $1"; diff -u "$2" "$3" | head -40
    fi
}

for d in "$src"/tests/golden/*/; do
    name=$(basename "$d")
    [ -f "$d/config.conf" ] || continue
    for infmt in conf set xml json; do
        in=$d/config.$infmt
        [ -f "$in" ] || continue
        case $infmt in conf) fmt=text ;; *) fmt=$infmt ;; esac
        for outfmt in conf set xml json; do
            exp=$d/config.$outfmt
            [ -f "$exp" ] || continue
            # display set prints no annotations (junos.md 5.9): set form
            # cannot carry them back
            if [ "$infmt" = set ] && [ "$outfmt" != set ] && grep -q '/\*' "$d/config.conf"; then
                continue
            fi
            case $outfmt in conf) ofmt=text ;; *) ofmt=$outfmt ;; esac
            if "$tool" --in "$fmt" "$in" --out "$ofmt" >"$tmp/out" 2>"$tmp/err"; then
                check "$name: $infmt -> $outfmt" "$exp" "$tmp/out"
            else
                fail=$((fail + 1)); echo "FAIL $name: $infmt does not load"; cat "$tmp/err"
            fi
        done
    done
    if [ -f "$d/expanded.conf" ]; then
        "$tool" --in text "$d/config.conf" --expand --out text >"$tmp/out" 2>&1
        check "$name: groups expanded" "$d/expanded.conf" "$tmp/out"
    fi
    if [ -f "$d/inherit.conf" ]; then
        "$tool" --in text "$d/config.conf" --inherit --out text >"$tmp/out" 2>&1
        check "$name: display inheritance" "$d/inherit.conf" "$tmp/out"
        "$tool" --in text "$d/inherit.conf" --out text >"$tmp/out" 2>&1
        check "$name: inheritance reloads as the expanded tree" "$d/expanded.conf" "$tmp/out"
    fi
done
# The example configurations: every rendering loads back to the same tree,
# and stock xmllint accepts the XML rendering.
for ex in "$src"/docs/examples/*.conf "$src"/tests/golden/*/config.conf; do
    name=$(basename "$(dirname "$ex")")/$(basename "$ex")
    "$tool" --in text "$ex" --out text >"$tmp/base" 2>"$tmp/err" || {
        fail=$((fail + 1)); echo "FAIL $name does not load"; cat "$tmp/err"; continue; }
    for f in set xml json; do
        "$tool" --in text "$ex" --out $f >"$tmp/r.$f" 2>&1
        "$tool" --in $f "$tmp/r.$f" --out text >"$tmp/back" 2>&1
        if [ $f = set ] && grep -q '/\*' "$tmp/base"; then
            continue # display set carries no annotations
        fi
        check "$name: text -> $f -> text" "$tmp/base" "$tmp/back"
    done
    if xmllint --noout --schema "$src/schema/configuration.xsd" "$tmp/r.xml" 2>"$tmp/err"; then
        pass=$((pass + 1)); echo "ok   $name: xmllint accepts the XML rendering"
    else
        fail=$((fail + 1)); echo "FAIL $name: xmllint rejects the XML rendering"; cat "$tmp/err"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
